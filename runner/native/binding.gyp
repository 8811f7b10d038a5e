{
  "targets": [
    {
      "target_name": "tuneplane_native",
      "sources": ["src/addon.c", "src/addon_fused.c", "src/kernels.c", "src/pool.c", "src/gemm.c", "src/fused_norm.c", "src/fused_dense.c", "src/fused_attention.c", "src/attention_tiled.c", "src/fused_loss.c", "src/fused_optim.c", "src/decode.c", "src/addon_decode.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-math-errno", "-fno-trapping-math", "-fopenmp-simd", "-pthread"],
      "cflags!": ["-O2"],
      "libraries": ["-lopenblas", "-pthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
