{
  # oneDNN comes from Debian/Ubuntu's libdnnl-dev (headers in /usr/include, libdnnl.so in the
  # multiarch lib dir). DNNL_INCLUDE_DIR / DNNL_LIB_DIR override; pkg-config is used when a .pc
  # file exists (some distributions ship one, Debian's 2.6 does not).
  "variables": {
    "dnnl_include%": "<!(node -p \"process.env.DNNL_INCLUDE_DIR || require('child_process').execSync('pkg-config --variable=includedir dnnl 2>/dev/null || echo /usr/include', {shell: '/bin/sh'}).toString().trim()\")",
    "dnnl_lib%": "<!(node -p \"process.env.DNNL_LIB_DIR || require('child_process').execSync('pkg-config --variable=libdir dnnl 2>/dev/null || echo /usr/lib/' + (process.arch === 'arm64' ? 'aarch64' : 'x86_64') + '-linux-gnu', {shell: '/bin/sh'}).toString().trim()\")"
  },
  "targets": [
    {
      "target_name": "tfjs_native",
      "sources": [
        "src/addon.cc",
        "src/conv.cc",
        "src/pool.cc",
        "src/matmul.cc",
        "src/elementwise.cc",
        "src/batchnorm.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "<(dnnl_include)"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-march=native", "-fno-math-errno", "-fopenmp", "-fexceptions"],
      "libraries": ["-L<(dnnl_lib)", "-Wl,-rpath,<(dnnl_lib)", "-ldnnl", "-fopenmp"]
    }
  ]
}
