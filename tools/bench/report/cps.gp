# Stage 4: the call-rate ramp, calls completed per step against the rate.
# dir/cps-<stack>.dat: rate ok_pct failed retrans
load lib."/common.gp"
set title "Call-rate ramp (sipp INVITE/200/ACK/BYE): calls completed per step"
set xlabel "offered calls per second"
set ylabel "calls completed, % of offered"
set yrange [0:105]
set key bottom left
plot dir."/cps-pierce.dat" using 1:2 with linespoints ls 1 title "pierce-proxy+pierce-relay", \
     dir."/cps-kamailio.dat" using 1:2 with linespoints ls 2 title "Kamailio+rtpengine"
