{
  "targets": [
    {
      "target_name": "simsiam_addon",
      "sources": ["napi.c", "batch-norm.c", "sgd.c", "conv.c"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=fast", "-fno-math-errno", "-pthread"],
      "ldflags": ["-pthread"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-ffp-contract=fast", "-fno-math-errno"] }
    }
  ]
}
