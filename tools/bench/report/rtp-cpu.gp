# Stage 2: relay CPU per delivered packet and p99 latency against calls.
load lib."/common.gp"
set title "Real RTP: relay CPU per packet (left) and p99 one-way latency (right)"
set xlabel "calls set up"
set ylabel "µs of relay CPU per delivered packet"
set y2label "p99 latency, ms"
set logscale x
set logscale y2
set ytics nomirror
set y2tics
set yrange [0:*]
set format x "%.0s%c"
set key top center
plot dir."/rtp-pierce.dat" using 2:6 axes x1y1 with linespoints ls 1 title "pierce CPU", \
     dir."/rtp-rtpengine.dat" using 2:6 axes x1y1 with linespoints ls 2 title "rtpengine CPU", \
     dir."/rtp-pierce.dat" using 2:($8/1000) axes x1y2 with linespoints ls 4 title "pierce p99 latency", \
     dir."/rtp-rtpengine.dat" using 2:($8/1000) axes x1y2 with linespoints ls 5 title "rtpengine p99 latency"
