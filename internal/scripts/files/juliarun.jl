# JuliaRun: the helper that juliarun loads into the Julia processes it starts
# (`julia -L juliarun.jl` from master.sh and worker.sh, startup.jl in notebook
# kernels). Standard library only, so it works in the stock image. A process
# started with --worker never loads it (Julia starts the worker before it
# handles -L); `@everywhere include(...)` can, and that is harmless.
#
# Connection direction: the master connects to the workers. That is
# Distributed's normal model (addprocs connects to workers that listen). Each
# worker pod runs `julia --worker --bind-to 0.0.0.0:$JRUN_WORKER_PORT` and
# waits; the master finds the ready workers by resolving the DNS name of the
# workers' headless Service, which lists ready pods only. No Kubernetes API
# calls and no log scraping are needed, and workers that become ready later
# (scaling, restarts) are picked up by re-resolving.
#
# Loading this file defines functions only; nothing starts until
# init_parallel() is called on the master, so it is harmless on a worker.
module JuliaRun

# Explicit names: JuliaRun defines its own nworkers, so it must not pick up
# Distributed's through a plain `using Distributed`.
using Distributed: Distributed, ClusterManager, WorkerConfig, addprocs, myid, rmprocs
using Sockets: Sockets, IPv4

"The job's name (JRUN_NAME)."
name() = get(ENV, "JRUN_NAME", "")

"The job's type, e.g. \"JuliaParBatch\" (JRUN_TYPE)."
jobtype() = get(ENV, "JRUN_TYPE", "")

"The job's working directory on its run volume (JRUN_DIR)."
dir() = get(ENV, "JRUN_DIR", pwd())

"The 0-based index of this unit in a job array, or `nothing` outside one."
function unit_index()
    s = get(ENV, "JRUN_UNIT_INDEX", "")
    return isempty(s) ? nothing : parse(Int, s)
end

"The number of connected workers: 0 when there are none (unlike Distributed.nworkers())."
nworkers() = Distributed.nprocs() - 1

worker_port() = parse(Int, get(ENV, "JRUN_WORKER_PORT", "9009"))

# A ClusterManager for workers that are already running and listening:
# launch starts nothing, it only tells Distributed where each worker is.
struct PodManager <: ClusterManager
    addrs::Vector{String}
end

function Distributed.launch(m::PodManager, params::Dict, launched::Array, c::Condition)
    port = worker_port()
    for a in m.addrs
        wc = WorkerConfig()
        wc.host = a
        wc.port = port
        wc.bind_addr = a
        push!(launched, wc)
    end
    notify(c)
end

# Distributed calls manage on the master; :register and :deregister keep
# KNOWN (worker address => pid) in step with the workers it really has,
# including those that die on their own. Other ops are ignored: :interrupt
# cannot signal a process in another pod, and :finalize runs in a GC
# finalizer, where taking a lock is not allowed.
const KNOWN = Dict{String,Int}()
const KNOWN_LOCK = ReentrantLock()

function Distributed.manage(m::PodManager, id::Integer, config::WorkerConfig, op::Symbol)
    if op === :register
        lock(KNOWN_LOCK) do
            KNOWN[config.host] = Int(id)
        end
    elseif op === :deregister
        lock(KNOWN_LOCK) do
            filter!(kv -> kv.second != id, KNOWN)
        end
    end
    return nothing
end

# The IPv4 addresses of the ready workers; `nothing` when DNS failed in a way
# that says nothing about the workers (so no worker is removed for it).
# Workers bind 0.0.0.0, so IPv6 addresses are skipped.
function resolve(host::AbstractString)
    addrs = try
        Sockets.getalladdrinfo(host)
    catch e
        # No ready worker: the headless Service name has no address.
        e isa Sockets.DNSError && e.code in (Base.UV_EAI_NONAME, Base.UV_EAI_NODATA) && return Set{String}()
        @warn "JuliaRun: cannot resolve workers" host exception = e
        return nothing
    end
    return Set{String}(string(a) for a in addrs if a isa IPv4)
end

const STARTED = Ref(false)
const STOP = Ref(false)
const INTERVAL = 5.0   # seconds between DNS look-ups
const MISSING = Dict{String,Int}()  # address => rounds it has been absent

# One round: add workers that appeared, remove those gone for two rounds in a
# row (one missed look-up, e.g. a short readiness blip, does not kill a worker).
function refresh(host::AbstractString)
    want = resolve(host)
    want === nothing && return
    # Forget workers that are no longer connected (dead, or being removed but
    # unreachable), so that their address is added again if it comes back.
    alive = Set(Distributed.workers())
    known = lock(KNOWN_LOCK) do
        filter!(kv -> kv.second in alive, KNOWN)
        copy(KNOWN)
    end
    filter!(kv -> haskey(known, kv.first) && !(kv.first in want), MISSING)
    gone = Int[]
    for (a, pid) in known
        a in want && continue
        MISSING[a] = get(MISSING, a, 0) + 1
        if MISSING[a] >= 2
            push!(gone, pid)
            delete!(MISSING, a)
        end
    end
    if !isempty(gone)
        try
            rmprocs(gone; waitfor = 10)
        catch e
            @warn "JuliaRun: removing workers failed" gone exception = e
        end
    end
    fresh = sort!([a for a in want if !haskey(known, a)])
    if !isempty(fresh)
        try
            addprocs(PodManager(fresh))
        catch e
            # Those that did not join are not in KNOWN: the next round retries them.
            @warn "JuliaRun: adding workers failed" fresh exception = e
        end
    end
    return
end

"""
    init_parallel()

Join this process (the master) to the job's workers: set the cluster cookie
from JRUN_CLUSTER_COOKIE, connect to every ready worker, then keep doing so
every few seconds in a background task, adding workers that become ready and
removing those that went away. Calling it again does nothing.
"""
function init_parallel()
    STARTED[] && return nothing
    myid() == 1 || error("JuliaRun.init_parallel: call it on the master, not on a worker")
    host = get(ENV, "JRUN_WORKERS", "")
    isempty(host) && error("JuliaRun.init_parallel: JRUN_WORKERS is not set; this job has no Distributed workers")
    haskey(ENV, "JRUN_CLUSTER_COOKIE") || error("JuliaRun.init_parallel: JRUN_CLUSTER_COOKIE is not set")
    Distributed.cluster_cookie(ENV["JRUN_CLUSTER_COOKIE"])
    STARTED[] = true
    refresh(host)
    # atexit hooks run last-in first-out: this one stops the loop before
    # Distributed's own hook removes the workers.
    atexit(() -> (STOP[] = true))
    errormonitor(@async while !STOP[]
        sleep(INTERVAL)
        STOP[] && break
        try
            refresh(host)
        catch e
            @warn "JuliaRun: refreshing workers failed" exception = e
        end
    end)
    return nothing
end

"""
    wait_for_workers(n; timeout=Inf) -> Int

Wait until at least `n` workers are connected and return how many are.
Throws an error if that takes longer than `timeout` seconds. Calls
init_parallel() first if it has not been called.
"""
function wait_for_workers(n::Integer; timeout::Real = Inf)
    init_parallel()
    deadline = time() + timeout
    while nworkers() < n
        time() > deadline && error("JuliaRun.wait_for_workers: $(nworkers()) of $n workers after $timeout seconds")
        sleep(0.5)
    end
    return nworkers()
end

end # module JuliaRun
