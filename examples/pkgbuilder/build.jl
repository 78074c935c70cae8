# build.jl: the PkgBuilder of the pkgbuilder example. Copy it to the run volume.
# JULIA_DEPOT_PATH and JULIA_PROJECT point into the bundle, so what Pkg adds
# and precompiles lands there.
using Pkg
Pkg.add(["StatsBase", "DataFrames"])
Pkg.precompile()
println("bundle built in ", ENV["JULIA_PROJECT"])
