# Stage 1: relay CPU per packet against the number of legs; the reflector
# and the 1.25x goal as flat lines. dir/dataplane.dat: legs us_per_pkt;
# refl (variable): the reflector's us per packet.
load lib."/common.gp"
set title "Data plane, XDP live frames: relay-core CPU per packet"
set xlabel "legs installed (frames sprayed over all of them)"
set ylabel "µs of relay CPU per packet"
set logscale x
set yrange [0:*]
set format x "10^{%L}"
set format x "%.0s%c"
plot dir."/dataplane.dat" using 1:2 with linespoints ls 1 title "pierce", \
     refl with lines ls 2 title "bare XDP_TX reflector", \
     refl*1.25 with lines ls 3 title "goal: 1.25x reflector"
