# Stage 3: delivered against offered as the per-stream rate steps up.
# dir/overload-<relay>.dat: offered delivered worst_stream_loss silent
load lib."/common.gp"
set title "Overload: delivered vs offered (".calls." calls, per-stream rate stepped)"
set xlabel "offered packets per second (what the generator sent)"
set ylabel "delivered packets per second"
set format x "%.0s%c"
set format y "%.0s%c"
set xrange [0:*]
set yrange [0:*]
plot x with lines ls 3 title "delivered = offered", \
     dir."/overload-pierce.dat" using 1:2 with linespoints ls 1 title "pierce (".dead_p." streams dead after)", \
     dir."/overload-rtpengine.dat" using 1:2 with linespoints ls 2 title "rtpengine (".dead_r." streams dead after)"
