# simulate.jl: the producer of the webserver example; writes what the web server serves.
out = "/mnt/results"
for step in 1:10
    write(joinpath(out, "step-$step.txt"), "step $step of job $(JuliaRun.name()): $(sum(rand(10^6)))\n")
end
println("wrote 10 results to ", out)
