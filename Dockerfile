# An image for Ray clusters (deploy/ray-cluster.yaml): pyzero with its Mojo engine already
# compiled, so no node compiles anything at start-up. The base is Ray's own image of the
# pinned Ray release (pyproject.toml's `ray` extra); its -gpu variant (CUDA) for GPU nodes:
#   docker build -t pyzero:latest .
#   docker build -t pyzero:gpu --build-arg BASE_IMAGE=rayproject/ray:2.58.0-py311-gpu \
#       --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cu128 .
ARG BASE_IMAGE=rayproject/ray:2.58.0-py311
FROM ${BASE_IMAGE}

# PyTorch first, from the index the build asks for (CPU wheels by default: a GPU image
# passes a CUDA index), so the `pip install` below finds it installed and keeps it.
ARG TORCH_INDEX=https://download.pytorch.org/whl/cpu
RUN pip install --no-cache-dir "torch>=2.2" --index-url ${TORCH_INDEX}

# Ray's images run as the user `ray`: the checkout must be its own, since the editable
# install and `pyzero build` write into it.
USER root
RUN mkdir -p /opt/pyzero && chown ray:users /opt/pyzero
USER ray
WORKDIR /opt/pyzero
# The package metadata first: the dependency layer is rebuilt only when it changes.
COPY --chown=ray:users pyproject.toml README.md ./
COPY --chown=ray:users pyzero ./pyzero
COPY --chown=ray:users mojo ./mojo
COPY --chown=ray:users games ./games
COPY --chown=ray:users configs ./configs
RUN pip install --no-cache-dir -e '.[ray,onnx]'

# The engine, compiled once here. PYZERO_ENGINE_LIBRARY makes every process load this
# library as it is (pyzero/native.py: prebuilt_library), without hashing sources or
# looking for the compiler; it was built from the sources copied above, which is the
# condition for using it.
RUN python -m pyzero build \
    && mkdir -p /opt/pyzero/engine \
    && cp pyzero/_native_build/pyzero_engine.*.so /opt/pyzero/engine/pyzero_engine.so \
    && PYZERO_ENGINE_LIBRARY=/opt/pyzero/engine/pyzero_engine.so python -c \
       "from pyzero.games import make; assert make('connect4').new().perft(4) == 2401"
ENV PYZERO_ENGINE_LIBRARY=/opt/pyzero/engine/pyzero_engine.so

# Runs (replay shards, checkpoints) belong on a volume of the head node: -v /data/runs:/opt/pyzero/runs
VOLUME /opt/pyzero/runs
CMD ["pyzero", "--help"]
