# consume.jl: one consumer of the messageq example. Copy it to the run volume.
# AMQPClient comes from the package bundle "amqp" that the example builds
# first (build_amqp.jl) and attaches to the consumers.
using AMQPClient
url = ENV["AMQP_URL"]
m = match(r"^amqp://([^:/]+):(\d+)", url)
m === nothing && error("AMQP_URL is not amqp://HOST:PORT: $url")
# The captures are SubStrings; AMQPClient's Connection(; host::String) takes
# a String only.
host, port = String(m.captures[1]), parse(Int, m.captures[2])
conn = connection(; host = host, port = port)
chan = channel(conn, AMQPClient.UNUSED_CHANNEL, true)
queue_declare(chan, "tasks")
println("unit $(JuliaRun.unit_index()) consuming from $url")
while true
    msg = basic_get(chan, "tasks", false)
    msg === nothing && break
    println("task: ", String(msg.data))
    basic_ack(chan, msg.delivery_tag)
end
close(chan); close(conn)
