# consume.jl: one consumer of the messageq example. Copy it to the run volume.
# It needs an AMQP client package (AMQPClient.jl) in the image or in a package
# bundle (see the pkgbuilder example).
using AMQPClient
url = ENV["AMQP_URL"]
host, port = match(r"amqp://([^:]+):(\d+)", url).captures
conn = connection(; host = host, port = parse(Int, port))
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
