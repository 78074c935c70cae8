# pi.jl: the master of the parbatch example. Copy it to the run volume.
# JuliaRun is loaded by master.sh before this script runs.
using Distributed

JuliaRun.init_parallel()                  # connect to the job's workers, and keep following scaling
n = JuliaRun.wait_for_workers(4; timeout = 600)
println("estimating pi on $n workers of job $(JuliaRun.name())")

@everywhere function darts(n)
    inside = 0
    for _ in 1:n
        inside += rand()^2 + rand()^2 <= 1
    end
    return inside
end

throws = 10^8
chunks = fill(throws ÷ 100, 100)
inside = sum(pmap(darts, chunks))
println("pi ≈ ", 4 * inside / throws)
