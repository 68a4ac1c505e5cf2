# The one image for every process: web, workers, beat and the migration (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    MOTCUA_ENV=production MOTCUA_INSTANCE=/var/lib/motcua
WORKDIR /app
# Noto fonts for names in other scripts on the printed PDF slips (web/staff/pdf_fonts.py)
COPY scripts/install-fonts.sh scripts/
RUN bash scripts/install-fonts.sh && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --system --home-dir /var/lib/motcua --create-home motcua
USER motcua
EXPOSE 8000
# scripts/run-prod.sh NAME runs one Procfile process; with no name, all of them
ENTRYPOINT ["scripts/run-prod.sh"]
