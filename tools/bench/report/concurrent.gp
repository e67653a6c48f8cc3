# Stage 4: calls in progress over time (sipp, 500 calls/s held 20 s) and
# failed calls. dir/concurrent-<stack>.dat: t current ok failed
load lib."/common.gp"
set title "Concurrent calls ramp: 500 calls/s, each held 20 s"
set xlabel "seconds"
set ylabel "calls"
set format y "%.0s%c"
set key top left
plot dir."/concurrent-pierce.dat" using 1:2 with lines ls 1 title "pierce-proxy+pierce-relay: in progress", \
     dir."/concurrent-pierce.dat" using 1:4 with lines ls 4 title "pierce: failed (cumulative)", \
     dir."/concurrent-kamailio.dat" using 1:2 with lines ls 2 title "Kamailio+rtpengine: in progress", \
     dir."/concurrent-kamailio.dat" using 1:4 with lines ls 5 title "Kamailio+rtpengine: failed (cumulative)"
