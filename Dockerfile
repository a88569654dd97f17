# syntax=docker/dockerfile:1
# Two targets: `web` (CPU: gunicorn + CPU workers) and `worker-gpu` (CUDA runtime, faiss-gpu).

# The browser libraries the pages serve themselves (package-lock.json pins them).
FROM node:20-slim AS js
WORKDIR /js
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts

FROM python:3.11-slim AS web
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
WORKDIR /app
# EGL and Mesa's software rasteriser for the 3D demo clips (no GPU here).
RUN apt-get update && apt-get install -y --no-install-recommends libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=js /js/node_modules/uplot/dist/uPlot.iife.min.js /js/node_modules/uplot/dist/uPlot.min.css static/vendor/uplot/
# MediaPipe pose for the on-device timing feedback (the same files as the Makefile's MEDIAPIPE_POSE_FILES).
COPY --from=js /js/node_modules/@mediapipe/pose/pose.js /js/node_modules/@mediapipe/pose/pose_web.binarypb \
     /js/node_modules/@mediapipe/pose/pose_landmark_lite.tflite /js/node_modules/@mediapipe/pose/pose_landmark_full.tflite \
     static/vendor/mediapipe-pose/
COPY --from=js /js/node_modules/@mediapipe/pose/pose_solution_* static/vendor/mediapipe-pose/
RUN DEBUG=1 python manage.py collectstatic --noinput
EXPOSE 8000
CMD ["gunicorn", "bachata.wsgi", "-b", "0.0.0.0:8000", "-w", "3", "--timeout", "60"]

FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 AS worker-gpu
# "graphics": the container toolkit mounts the driver's EGL, so the 3D clips render on the GPU.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 DEBIAN_FRONTEND=noninteractive \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics
RUN apt-get update && apt-get install -y --no-install-recommends python3.11 python3.11-venv python3-pip libegl1 \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt ./
# faiss-gpu in place of faiss-cpu: never both in one environment.
RUN python3.11 -m venv /venv && grep -v '^faiss-cpu' requirements.txt > /tmp/req.txt \
    && /venv/bin/pip install --no-cache-dir -r /tmp/req.txt faiss-gpu==1.15.1
ENV PATH=/venv/bin:$PATH
COPY . .
# Non-forking worker: CUDA contexts do not survive a fork; models and the index stay warm.
CMD ["python", "manage.py", "rqworker", "gpu", "--worker-class", "bachata.worker.WarmWorker", "--with-scheduler"]
