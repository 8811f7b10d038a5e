# syntax=docker/dockerfile:1
#
# The inference Lambda as a container image: runner/entry/inference-lambda.ts with runner/native's
# OpenBLAS kernels, run by the Lambda Runtime Interface Client for Node.js (aws-lambda-ric).
# infra/aws/constructs/inference.ts builds it at `cdk deploy` (platform linux/amd64: the
# architecture this addon and OpenBLAS build are tested on; see there). By hand, from the repository root:
#   docker build --platform linux/amd64 -f runner/inference.Dockerfile -t tuneplane-inference .
#
# Debian bookworm on both stages, so the addon is built and run against the OpenBLAS packages the
# tests run it with (Debian's, DYNAMIC_ARCH: the kernels for the CPU it finds at run time). Nothing
# is compiled for the build machine's CPU (runner/native's binding.gyp sets no -march; its AVX2 and
# AVX-512 code paths are chosen at run time): the image is built on one machine, runs on another.
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
# g++/make/python3: node-gyp (runner/native, the RIC's addon); libopenblas-dev: the addon's BLAS;
# cmake and xz-utils: the RIC builds curl and aws-lambda-cpp from the archives it ships.
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make python3 cmake xz-utils libopenblas-dev \
 && rm -rf /var/lib/apt/lists/*
# node-gyp uses the headers that come with this Node instead of downloading them.
ENV npm_config_nodedir=/usr/local
WORKDIR /build
COPY package.json package-lock.json ./
# Install scripts are skipped and the one we need, the RIC's native client, is built explicitly
# (`build:ric`: package.json keeps npm from building it on every install); the check fails the
# build if it did not come out.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm run build:ric \
 && test -f node_modules/aws-lambda-ric/rapid-client.node
COPY tsconfig.json ./
COPY runner ./runner
COPY functions ./functions
COPY openapi ./openapi
COPY infra/aws ./infra/aws
# The addon, then /var/task as infra/aws/inference-image.ts lays it out (the tests run the same).
RUN npm run build:native \
 && node --import tsx infra/aws/inference-image.ts /var/task

FROM ${NODE_IMAGE} AS runtime
# Only what runs: the pthread OpenBLAS, which the addon calls single-threaded from its own thread
# pool (runner/native/src/addon.c, setThreads), as the tests and CI run it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas0-pthread \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /var/task /var/task
# Lambda sets LAMBDA_TASK_ROOT and _HANDLER itself; set here too so the RIC finds the handler in any
# runtime. OPENBLAS_NUM_THREADS=1: OpenBLAS would otherwise start a thread per CPU that the addon
# never uses (its pool is sized per function memory, runner/entry/inference-lambda.ts).
ENV NODE_ENV=production \
    LAMBDA_TASK_ROOT=/var/task \
    _HANDLER=index.handler \
    OPENBLAS_NUM_THREADS=1
WORKDIR /var/task
# Fail the build, not the first request: the addon and the RIC's client load against this stage's
# libraries (the client reads the Runtime API's address when it loads, so it is given one; nothing
# connects), and the bundle imports (its init with placeholder config; the RIC's streaming global
# stood in for, as the RIC only defines it when it runs) and selects the native kernels.
RUN node -e "console.log(require('/var/task/build/Release/tuneplane_native.node').info())" \
 && AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 node -e \
      "if (typeof require('/var/task/node_modules/aws-lambda-ric/rapid-client.node').next !== 'function') process.exit(1)" \
 && (TUNEPLANE_TABLE=build-check TUNEPLANE_BUCKET=build-check AWS_REGION=us-east-1 \
     TUNEPLANE_INFERENCE_MODEL_BUDGET=1073741824 TUNEPLANE_INFERENCE_REQUEST_BUDGET=268435456 \
     TUNEPLANE_INFERENCE_DISK_BUDGET=1073741824 TUNEPLANE_INFERENCE_CACHE_DIR=/tmp/build-check \
     node --input-type=module -e \
       "globalThis.awslambda = { streamifyResponse: (h) => h }; await import('/var/task/index.mjs')" \
       > /tmp/build-check.log 2>&1 \
     && grep -q '+ native kernels via' /tmp/build-check.log \
     || (cat /tmp/build-check.log; false)) \
 && rm -rf /tmp/build-check /tmp/build-check.log
ENTRYPOINT ["/usr/local/bin/node", "/var/task/node_modules/aws-lambda-ric/index.mjs"]
CMD ["index.handler"]
