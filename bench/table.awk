# bench/table.awk - the table bench/run.sh prints, from the RESULT, CONFIG and INFO lines of
# the benchmark programs (RESULT key value; CONFIG key the winning PyTorch configuration;
# INFO key text). Variables: cpu, cores, load0 and load1 (the load average at the start and
# the end). bench/run.sh keeps the lines of its last run in BUILD/bench/results.txt, so
#   awk -v cpu=... -v cores=2 -f bench/table.awk build-bench/bench/results.txt
# prints that table again.
function has(k) { return (k in r) }
function get(k) { return (k in r) ? r[k] : 0 }
function max(a, b) { return a > b ? a : b }
function num(k, f) { return has(k) ? sprintf(f, r[k]) : "-" }
function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.1fx", a / b) : "-" }
# one row: name, our time and its format, the PyTorch keys (f64, f32) and their format,
# the limit (in the same unit; 0 if unknown)
function row(name, ours, f, t64, t32, tf, lim,    o) {
  o = get(ours)
  printf "%-40s %-13s %-12s %-12s %-15s %-11s %s\n", name, num(ours, f), num(t64, tf), num(t32, tf),
    (has(t64) || has(t32)) ? ratio(get(t64), o) " / " ratio(get(t32), o) : "-",
    (lim > 0) ? sprintf(f, lim) : "-", ratio(o, lim)
}
function configs(k64, k32) {
  if ((k64 in c) || (k32 in c))
    printf "    PyTorch f64: %s; f32: %s\n", (k64 in c) ? c[k64] : "-", (k32 in c) ? c[k32] : "-"
}
$1 == "RESULT" { r[$2] = $3 }
$1 == "CONFIG" || $1 == "INFO" {
  v = $0; sub(/^[A-Z]+ [^ ]+ /, "", v)
  if ($1 == "CONFIG") c[$2] = v; else info[$2] = (($2 in info) && $2 == "note") ? info[$2] "; " v : v
}
END {
  vec = has("peak_vector_bits") ? (r["peak_vector_bits"] == 512 ? "AVX-512" : (r["peak_vector_bits"] == 256 ? "AVX2" : "scalar")) : "-"
  line = "------------------------------------------------------------------------------------------------------------------------"
  printf "\nmicrograd benchmarks on %s, %d cores, %s; PyTorch %s, %s\n", cpu, cores, vec,
    ("torch" in info) ? info["torch"] : "-", ("blas" in info) ? info["blas"] : "BLAS -"
  print line
  printf "%-40s %-13s %-12s %-12s %-15s %-11s %s\n", "workload", "micrograd", "PyTorch f64", "PyTorch f32",
    "speedup f64/f32", "limit", "ours/limit"
  print line
  # 2 threads can always do what 1 does: a 2-thread figure below the 1-thread one (another
  # program held a core) is not the machine's limit
  p1 = get("peak_f64_1t_gflops") * 1e9
  p2 = max(get("peak_f64_2t_gflops"), get("peak_f64_1t_gflops")) * 1e9
  q1 = get("peak_f32_1t_gflops") * 1e9
  q2 = max(get("peak_f32_2t_gflops"), get("peak_f32_1t_gflops")) * 1e9
  bw2 = max(get("bw_adamw_2t_gbs"), get("bw_adamw_1t_gbs")) * 1e9
  l1 = (has("W1_flop") && p1 > 0) ? r["W1_flop"] / p1 * 1e6 : 0
  m1 = (has("W1_flop") && q1 > 0) ? r["W1_flop"] / q1 * 1e6 : 0
  row("W1 moons step, eager, 1 thread", "W1_eager_us", "%.1f us", "W1_torch_f64_us", "W1_torch_f32_us", "%.1f us", l1)
  row("W1 moons step, compiled, 1 thread", "W1_compiled_us", "%.2f us", "W1_torch_f64_us", "W1_torch_f32_us", "%.1f us", l1)
  if (has("W1_f32_compiled_us"))
    row("W1 moons step, compiled, 1 thread, f32", "W1_f32_compiled_us", "%.2f us", "W1_torch_f64_us", "W1_torch_f32_us", "%.1f us", m1)
  configs("W1_torch_f64", "W1_torch_f32")
  for (t = 1; t <= 2; t++) {
    p = t == 1 ? p1 : p2
    q = t == 1 ? q1 : q2
    lim = (has("W2_flop") && p > 0) ? r["W2_flop"] / p * 1e3 : 0
    row("W2 wide full-batch step, " t " thread" (t > 1 ? "s" : ""), "W2_compiled_" t "t_ms", "%.3f ms",
      "W2_torch_f64_" t "t_ms", "W2_torch_f32_" t "t_ms", "%.3f ms", lim)
    if (has("W2_f32_compiled_" t "t_ms"))
      row("W2 wide full-batch step, " t " thread" (t > 1 ? "s" : "") ", f32", "W2_f32_compiled_" t "t_ms", "%.3f ms",
        "W2_torch_f64_" t "t_ms", "W2_torch_f32_" t "t_ms", "%.3f ms", (has("W2_flop") && q > 0) ? r["W2_flop"] / q * 1e3 : 0)
    configs("W2_torch_f64_" t "t", "W2_torch_f32_" t "t")
  }
  if (has("W3_epoch_s") || has("W3_f32_epoch_s")) {
    gemm = (has("W3_flop_epoch") && p2 > 0) ? r["W3_flop_epoch"] / p2 : 0
    gemm32 = (has("W3_flop_epoch") && q2 > 0) ? r["W3_flop_epoch"] / q2 : 0
    adam = (bw2 > 0) ? r["W3_steps_epoch"] * 56 * r["W3_params"] / bw2 : 0
    if (has("W3_epoch_s"))
      row("W3 fashion epoch, batch 64, 2 threads", "W3_epoch_s", "%.2f s", "W3_torch_f64_epoch_s", "W3_torch_f32_epoch_s",
        "%.2f s", (gemm > 0 && adam > 0) ? gemm + adam : 0)
    if (has("W3_f32_epoch_s"))
      row("W3 fashion epoch, 2 threads, f32", "W3_f32_epoch_s", "%.2f s", "W3_torch_f64_epoch_s", "W3_torch_f32_epoch_s",
        "%.2f s", (gemm32 > 0 && adam > 0) ? gemm32 + adam : 0)
    configs("W3_torch_f64", "W3_torch_f32")
    for (i = 0; i < 2; i++) {
      k = i ? "W3_f32_" : "W3_"
      if (!has(k "best_acc")) continue
      printf "%-40s %s\n", "W3 test accuracy, best" (i ? ", f32" : ""),
        sprintf("micrograd %.2f%% (88.3%% %s)", 100 * r[k "best_acc"],
          (r[k "s_to_883"] >= 0) ? sprintf("after %.0f s of training", r[k "s_to_883"]) : "not reached") \
        (!i && has("W3_torch_f64_best_acc") ? sprintf("; PyTorch %.2f%% (f64), %.2f%% (f32) after fewer epochs",
          100 * r["W3_torch_f64_best_acc"], 100 * get("W3_torch_f32_best_acc")) : "")
    }
  }
  for (i = 0; i < 2; i++) {
    s = i ? "mixed" : "mlp"
    if (has("W4_" s "_ns")) {
      lim = has("bw_tape_1t_gbs") ? 2 * r["W4_" s "_bytes"] / r["bw_tape_1t_gbs"] : 0
      row("W4 eager 10^6 values (" s "), " sprintf("%.1f B", r["W4_" s "_bytes"]), "W4_" s "_ns", "%.2f ns", "-", "-", "", lim)
    }
  }
  print line
  print "speedup: the fastest PyTorch configuration's time over micrograd's (each dtype's winner of the calibration"
  print "  runs shown above the table, timed again on its own); micrograd computes in float64, and in float32 on the"
  print "  f32 rows (float32 lanes; parameters and optimiser float64). Medians; W4 per value."
  if (has("peak_f64_1t_gflops"))
    printf "limit: on this machine (bench/peak) FMA f64 %.1f GFLOP/s on 1 thread, %.1f on 2 (f32 %.1f, %.1f);\n",
      r["peak_f64_1t_gflops"], r["peak_f64_2t_gflops"], r["peak_f32_1t_gflops"], r["peak_f32_2t_gflops"]
  if (has("bw_adamw_1t_gbs"))
    printf "  AdamW pattern %.1f GB/s on 1 thread, %.1f on 2; tape stream %.1f GB/s.\n",
      r["bw_adamw_1t_gbs"], r["bw_adamw_2t_gbs"], r["bw_tape_1t_gbs"]
  if (p1 > 0) {
    print "  W1-W3: the matrix products (forward, dW, dX" \
      (has("W1_flop") ? sprintf("; W1 %.0f kFLOP a step", r["W1_flop"] / 1e3) : "") \
      (has("W2_flop") ? sprintf(", W2 %.1f MFLOP", r["W2_flop"] / 1e6) : "") \
      (has("W3_flop_epoch") ? sprintf(", W3 %.2f GFLOP an epoch", r["W3_flop_epoch"] / 1e9) : "") ") at the FMA peak of the row's type;"
    if (adam > 0)
      printf "  W3 plus AdamW's 56 bytes a parameter a step (%.2f GB an epoch) at the AdamW bandwidth: %.2f + %.2f s;\n",
        r["W3_steps_epoch"] * 56 * r["W3_params"] / 1e9, gemm, adam
    print "  W4 the tape's bytes written once and read once at the stream bandwidth. ours/limit: micrograd over the limit."
  }
  printf "load average at the start %s, at the end %s (figures taken under load are not comparable)\n", load0, load1
  if ("note" in info) print "note: " info["note"]
}