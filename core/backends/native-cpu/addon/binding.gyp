{
  "targets": [
    {
      "target_name": "simsiam_addon",
      "sources": ["addon.c"],
      "cflags": ["-O3", "-std=c11", "-ffp-contract=fast", "-fno-math-errno"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-ffp-contract=fast", "-fno-math-errno"] }
    }
  ]
}
