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

# Explicit names: JuliaRun defines its own workers and nworkers, so it must
# not pick up Distributed's through a plain `using Distributed`.
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

"""
    workers() -> Vector{Int}

The pids of the workers that completed the join, sorted; empty when there are
none (unlike Distributed.workers(), which then returns [1]). A worker that is
connected but still joining, or whose join timed out, is not in it.
"""
function workers()
    Distributed.nprocs() == 1 && return Int[]
    connected = filter(!=(1), Distributed.workers())
    myid() == 1 || return connected
    # Distributed.workers() counts a worker from the moment its connection is
    # open (create_worker in cluster.jl sets W_CONNECTED before the join).
    # The master's handler of the worker's JoinCompleteMsg
    # (handle_msg(::JoinCompleteMsg) in process_messages.jl) pushes it into the
    # default worker pool as its last step, so membership there means the join
    # completed (and that handler returned).
    joined = Set(Distributed.workers(Distributed.default_worker_pool()))
    return sort!(filter(in(joined), connected))
end

"The number of workers that completed the join: 0 when there are none (unlike Distributed.nworkers())."
nworkers() = length(workers())

worker_port() = parse(Int, get(ENV, "JRUN_WORKER_PORT", "9009"))

# How long the master waits for a worker to accept a TCP connection. Inside a
# cluster a live worker accepts in milliseconds; a stale DNS entry (a pod that
# just died) may never answer, and the kernel's own connect timeout is about
# 2 minutes (tcp_syn_retries 6) -- while addprocs holds Distributed's
# worker_lock.
const CONNECT_TIMEOUT = 5.0

# Connect to a worker, giving up after timeout seconds. Returns the open
# socket, or nothing (logged) when the worker refused, was unreachable or
# did not answer in time.
function connect_worker(addr::String, port::Int, timeout::Real)
    sock = Sockets.TCPSocket()
    # Sockets.connect has no timeout of its own. Closing the socket cancels
    # the pending connect (libuv calls back with ECANCELED) and wakes
    # wait_connected. Whichever ends first, the connect (outcome 1, whether
    # it worked or not) or the timer (outcome 2), wins, so a late timer never
    # closes a socket that did connect (its task may run on another thread).
    outcome = Threads.Atomic{Int}(0)
    timer = Timer(timeout) do _
        Threads.atomic_cas!(outcome, 0, 2) == 0 && close(sock)
    end
    err = nothing
    try
        Sockets.connect(sock, parse(IPv4, addr), port)
    catch e
        err = e
    finally
        Threads.atomic_cas!(outcome, 0, 1)
        close(timer)
    end
    timedout = outcome[] == 2
    # wait_connected can return without an error for a socket that was
    # closed while connecting, hence iswritable.
    if timedout || err !== nothing || !iswritable(sock)
        close(sock)
        why = timedout ? "no answer within $timeout seconds" : something(err, "connection closed while connecting")
        @warn "JuliaRun: cannot connect to worker" addr port why
        return nothing
    end
    return sock
end

# A ClusterManager for workers that are already running and listening:
# launch starts nothing. It connects to every address itself, in parallel and
# with CONNECT_TIMEOUT, and hands Distributed only the workers that accepted,
# with their open socket; connect returns that socket.
#
# Why not let Distributed connect (its default connect in managers.jl): in
# create_worker (cluster.jl) a worker whose connect throws is deregistered
# without a notify of its c_state, while a higher pid of the same addprocs
# call waits on that c_state with no timeout (all_to_all topology, the
# default) -- addprocs never returns, it holds worker_lock, so the refresh
# loop stops and at exit _rmprocs blocks on the same lock. One stale address
# is enough. With the socket already open, connect neither yields nor fails,
# so no worker ever waits in W_CREATED.
struct PodManager <: ClusterManager
    addrs::Vector{String}
    configs::Vector{WorkerConfig}  # what launch handed to Distributed, one per worker that accepted
end
PodManager(addrs::Vector{String}) = PodManager(addrs, WorkerConfig[])

function Distributed.launch(m::PodManager, params::Dict, launched::Array, c::Condition)
    port = worker_port()
    # @async, not Threads.@spawn: launched and c are not thread-safe (the
    # FIXME in addprocs_locked, cluster.jl). Each worker is handed over as soon
    # as it accepts, so a slow address does not delay the others' join.
    @sync for a in m.addrs
        @async begin
            sock = connect_worker(a, port, CONNECT_TIMEOUT)
            if sock !== nothing
                wc = WorkerConfig()
                wc.host = a
                wc.port = port
                wc.bind_addr = a
                wc.userdata = sock
                # create_worker sends something(enable_threaded_blas, false) in
                # the JoinPGRPMsg, and the worker's handle_msg(::JoinPGRPMsg)
                # (process_messages.jl) calls Base.disable_library_threading()
                # unless it is true: BLAS would run on one thread whatever CPUs
                # the worker pod has.
                wc.enable_threaded_blas = true
                push!(m.configs, wc)
                push!(launched, wc)
                notify(c)
            end
        end
    end
    # Wake addprocs_locked now rather than at its next 1 s poll.
    notify(c)
    return nothing
end

# The master's connect to a worker (create_worker). Workers connect to each
# other with their own DefaultClusterManager (connect_to_peer), never with
# this one.
function Distributed.connect(m::PodManager, pid::Int, config::WorkerConfig)
    sock = config.userdata
    sock isa Sockets.TCPSocket || error("JuliaRun: no open connection to worker $pid at $(config.host)")
    # Where other workers reach this one (connect_w2w asserts Tuple{String,Int}),
    # as Distributed's default connect records it.
    config.connect_at = (config.host::String, config.port::Int)
    return (sock, sock)
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
    drop_unjoined()
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
        m = PodManager(fresh)
        try
            addprocs(m)
        catch e
            # A join timed out (create_worker throws after the master's
            # JULIA_WORKER_TIMEOUT); the others of the call may have joined.
            @warn "JuliaRun: adding workers failed" fresh exception = e
        end
        note_unjoined(m)
    end
    return
end

# Workers whose join timed out: create_worker (cluster.jl) gives up on such a
# worker after the master's JULIA_WORKER_TIMEOUT, but leaves it registered
# and W_CONNECTED: Distributed.workers() and nprocs() count it, and
# @everywhere waits on it. Its join may still complete (a worker short of CPU
# compiling): with the timedwait in today's create_worker the late
# JoinCompleteMsg is handled normally and the worker joins the default pool.
# (Before that, the time-out was a task that put! into the join channel, and
# a late JoinCompleteMsg blocked that worker's message loop for good, in
# put!, before it reached the pool.) So such a worker gets as long again;
# then it is removed, and the next round retries its address while DNS lists
# it. pid => (deadline, socket); only the refresh task touches it.
const UNJOINED = Dict{Int,Tuple{Float64,Sockets.TCPSocket}}()

# Distributed's worker_timeout() (cluster.jl), the join time-out on this process.
join_timeout() = parse(Float64, get(ENV, "JULIA_WORKER_TIMEOUT", "60.0"))

# After addprocs: note every worker of the call that is still connected but
# did not complete the join.
function note_unjoined(m::PodManager)
    joined = Set(workers())
    for wc in m.configs
        sock = wc.userdata::Sockets.TCPSocket
        isopen(sock) || continue  # gone already (Distributed closes a dead worker's socket)
        # -1 once Distributed has deregistered the worker (map_sock_wrkr).
        pid = Distributed.worker_id_from_socket(sock)
        if pid < 2
            close(sock)
        elseif !(pid in joined)
            @warn "JuliaRun: worker did not complete the join in time; waiting as long again" pid addr = wc.host
            UNJOINED[pid] = (time() + join_timeout(), sock)
        end
    end
    return
end

# Remove the workers of UNJOINED whose second chance is over; forget those
# that joined or went away.
function drop_unjoined()
    isempty(UNJOINED) && return
    joined = Set(workers())
    pids = Int[]
    for (pid, (deadline, sock)) in collect(UNJOINED)
        if pid in joined || !isopen(sock)
            delete!(UNJOINED, pid)
        elseif time() > deadline
            push!(pids, pid)
        end
    end
    isempty(pids) && return
    @warn "JuliaRun: removing workers that did not complete the join (if they are only slow: more CPU for the workers, or a larger JULIA_WORKER_TIMEOUT on the master)" pids
    # _rmprocs marks them W_TERMINATING at once (procs(), workers() and
    # nprocs() skip them from then on) and sends exit; with waitfor it gives
    # worker_lock back even if they never answer.
    try
        rmprocs(pids; waitfor = 5)
    catch e
        @debug "JuliaRun: workers did not exit" pids exception = e
    end
    # For a worker that does not answer at all: closing the connection ends
    # the master's message loop for it, which deregisters it
    # (message_handler_loop in process_messages.jl).
    for pid in pids
        close(UNJOINED[pid][2])
        delete!(UNJOINED, pid)
    end
    return
end

"""
    init_parallel()

Join this process (the master) to the job's workers: set the cluster cookie
from JRUN_CLUSTER_COOKIE, connect to every ready worker, then keep doing so
every few seconds in a background task, adding workers that become ready and
removing those that went away. Calling it again does nothing.

It returns once the ready workers have joined or failed to (a stale address
costs at most CONNECT_TIMEOUT, a worker that does not finish the join the
master's JULIA_WORKER_TIMEOUT, 60 s by default); use wait_for_workers to
wait for a number of workers.
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

Wait until at least `n` workers have completed the join (see `workers()`)
and return how many have. Throws an error if that takes longer than `timeout`
seconds, counted from the call. Calls init_parallel() first if it has not
been called.

A first join is slow (Julia compiles on both ends, and addprocs polls once a
second): give a timeout rather than assume workers are there at once.
"""
function wait_for_workers(n::Integer; timeout::Real = Inf)
    deadline = time() + timeout
    init_parallel()
    while nworkers() < n
        time() > deadline && error("JuliaRun.wait_for_workers: $(nworkers()) of $n workers after $timeout seconds")
        sleep(0.5)
    end
    return nworkers()
end

end # module JuliaRun
