# Stage 5: ng offer/answer/delete cycles per second. dir/ng.dat: label rate
load lib."/common.gp"
set title "ng control protocol: offer+answer+delete cycles per second"
set ylabel "cycles per second"
set style fill solid 0.8
set boxwidth 0.5
set yrange [0:*]
set key off
set format y "%.0s%c"
plot dir."/ng.dat" using 0:2:($0+1):xtic(1) with boxes lc variable, \
     dir."/ng.dat" using 0:2:(sprintf("%.0f", $2)) with labels offset 0,1
