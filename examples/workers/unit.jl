# unit.jl: one unit of the workers example. Copy it to the run volume.
# Unit i (JuliaRun.unit_index(), from 0) takes items i*k+1 .. (i+1)*k, where
# k is ITEMS_PER_UNIT: the work splits by index alone, however many units run.
i = JuliaRun.unit_index()
k = parse(Int, get(ENV, "ITEMS_PER_UNIT", "125"))
items = (i * k + 1):((i + 1) * k)
total = sum(x -> x^2, items)
out = joinpath(JuliaRun.dir(), "results", "unit-$i.txt")
mkpath(dirname(out))
write(out, "items $(first(items))-$(last(items)): sum of squares $total\n")
println("unit $i of job $(JuliaRun.name()) done: $out")
