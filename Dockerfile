# One replica of Neuron Playground. compose.yaml runs several behind HAProxy (README, "A school").
# Alone: docker build -t neuron-playground . && docker run -p 8501:8501 neuron-playground
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PLAYGROUND_BOARD_SQLITE=/home/playground/board.sqlite3
# (the class board's SQLite file, where the app's user may write; compose.yaml points it at PostgreSQL instead)

WORKDIR /app

# The pinned run-time requirements only (no test or browser tools), in a layer of their own so that a
# change of the code does not reinstall them.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The app and its .streamlit/config.toml, which Streamlit reads from the working directory;
# .dockerignore keeps the rest of the repository out. Owned by root: the app cannot change its code.
COPY . .
RUN python -m compileall -q app.py playground \
    && useradd --create-home --uid 10001 playground
USER playground

EXPOSE 8501
# Streamlit answers "ok" on /_stcore/health once it takes sessions (the slim image has no curl).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"]
CMD ["streamlit", "run", "app.py", "--server.headless", "true", "--server.port", "8501"]
