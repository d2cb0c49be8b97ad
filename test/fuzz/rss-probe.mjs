// Loaded with `node --import` before the binary: on exit, writes the process's own peak RSS
// (KiB) to the file named by SEGMENT_FUZZ_RSS, so the fuzzer measures the child, not itself.
import { writeFileSync } from "node:fs";
import process from "node:process";

const out = process.env.SEGMENT_FUZZ_RSS;
if (out) {
  process.on("exit", () => {
    try {
      writeFileSync(out, String(process.resourceUsage().maxRSS));
    } catch {
      // The folder may be gone when the fuzzer gave up on the run; nothing to report then.
    }
  });
}
