# pi.jl: the master of the parbatch example. Copy it to the run volume.
# JuliaRun is loaded by master.sh before this script runs.
using Distributed

JuliaRun.init_parallel()                  # connect to the job's workers, and keep following scaling
JuliaRun.wait_for_workers(4; timeout = 600)

# The example scales the job from 4 to 8 workers while this runs, and
# workers that join later have none of the definitions below (@everywhere
# reaches only the processes it is given). So take the workers that have
# joined now, define darts on them (and here, where pmap names it), and give
# pmap a pool of exactly those: the default pool would hand work to a
# newcomer, which would throw UndefVarError: darts.
pids = JuliaRun.workers()
println("estimating pi on $(length(pids)) workers of job $(JuliaRun.name())")

@everywhere [myid(); pids] function darts(n)
    inside = 0
    for _ in 1:n
        inside += rand()^2 + rand()^2 <= 1
    end
    return inside
end
pool = WorkerPool(pids)

throws = 10^8
chunks = fill(throws ÷ 100, 100)
inside = sum(pmap(darts, pool, chunks))
println("pi ≈ ", 4 * inside / throws)
