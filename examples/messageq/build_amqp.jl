# build_amqp.jl: the PkgBuilder of the messageq example. Copy it to the run volume.
# JULIA_DEPOT_PATH and JULIA_PROJECT point into the bundle "amqp", so the
# package and its precompiled code land there; the consumers mount the bundle
# read-only (WithPkgBundle) and load AMQPClient from it.
using Pkg
Pkg.add("AMQPClient")
Pkg.precompile()
println("bundle built in ", ENV["JULIA_PROJECT"])
