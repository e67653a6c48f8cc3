# Stage 2: offered and delivered packets per second against the number of
# calls, both relays. dir/rtp-<relay>.dat: calls intended offered delivered
# cpu_us p50_us p99_us
load lib."/common.gp"
set title "Real RTP, 50 pps each way per call: offered vs delivered"
set xlabel "calls set up"
set ylabel "packets per second"
set logscale xy
set format y "%.0s%c"
set format x "%.0s%c"
plot dir."/rtp-pierce.dat" using 2:3 with linespoints ls 3 title "asked for (calls x 100 pps)", \
     dir."/rtp-pierce.dat" using 2:4 with linespoints ls 4 title "pierce: offered by the generator", \
     dir."/rtp-pierce.dat" using 2:5 with linespoints ls 1 title "pierce: delivered", \
     dir."/rtp-rtpengine.dat" using 2:4 with linespoints ls 5 title "rtpengine: offered by the generator", \
     dir."/rtp-rtpengine.dat" using 2:5 with linespoints ls 2 title "rtpengine: delivered"
