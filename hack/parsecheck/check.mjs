// Syntax check for Julia files, for a machine without Julia: parse each file
// given on the command line with the Lezer Julia grammar (the one Pluto.jl
// uses) and fail if the tree has an error node. Lezer recovers from errors
// by inserting ⚠ nodes instead of throwing, so those are what we look for.
//
// Usage: node check.mjs FILE.jl...
// Prints FILE:LINE:COL: message for each error; exits 1 if there are any,
// 2 on a usage or read error.
import { readFileSync } from "node:fs";
import { parser } from "@plutojl/lezer-julia";

function lineCol(text, pos) {
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const col = pos - before.lastIndexOf("\n");
  return [line, col];
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node check.mjs FILE.jl...");
  process.exit(2);
}

let errors = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    process.exit(2);
  }
  const tree = parser.parse(text);
  tree.iterate({
    enter(node) {
      if (!node.type.isError) return;
      errors++;
      const [line, col] = lineCol(text, node.from);
      const near = JSON.stringify(text.slice(node.from, node.from + 20).split("\n")[0]);
      console.log(`${file}:${line}:${col}: syntax error near ${near} (inside ${node.node.parent?.name ?? "top level"})`);
    },
  });
}
if (errors > 0) {
  console.log(`${errors} syntax error(s)`);
  process.exit(1);
}
