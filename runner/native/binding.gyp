{
  "targets": [
    {
      "target_name": "tuneplane_native",
      "sources": ["src/addon.c", "src/kernels.c"],
      "cflags": ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-fno-math-errno", "-fno-trapping-math", "-pthread"],
      "cflags!": ["-O2"],
      "libraries": ["-lopenblas", "-pthread"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
