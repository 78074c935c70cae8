# analyse.jl: uses the bundle built by build.jl; its packages are on the load path.
using StatsBase
println("mean of 1:10 = ", mean(1:10))
