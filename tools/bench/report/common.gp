# Shared look of the benchmark plots; each plot script loads this first.
# Variables from the command line (-e): out (PNG path), dir (data files).
set terminal pngcairo size 960,560 font "DejaVu Sans,11" noenhanced
set output out
set grid
set key top left box opaque
set border lw 1.2
set style line 1 lc rgb "#1b6ac9" lw 2.2 pt 7 ps 1.3
set style line 2 lc rgb "#d0452b" lw 2.2 pt 5 ps 1.3
set style line 3 lc rgb "#444444" lw 1.5 dt 2
set style line 4 lc rgb "#1b6ac9" lw 1.5 dt 3 pt 6 ps 1.2
set style line 5 lc rgb "#d0452b" lw 1.5 dt 3 pt 4 ps 1.2
