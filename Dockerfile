# The bot as one image: `serve` (the front) and `worker` are its two commands (compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot bot
COPY db db
COPY escalation escalation
COPY handlers handlers
COPY migrations migrations
RUN pip install --no-cache-dir . && useradd --system --no-create-home bot
USER bot
ENTRYPOINT ["escalation-bot"]
CMD ["serve", "--host", "0.0.0.0", "--port", "3000"]
