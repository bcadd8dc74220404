# The project image: the official Airflow 3.3 image plus the pinned requirements.
# dags/, plugins/ and include/ are mounted by docker-compose.yaml, not baked in.
FROM apache/airflow:3.3.2-python3.11

USER airflow
COPY --chown=airflow:0 requirements.txt /opt/airflow/requirements.txt
# apache-airflow is pinned in requirements.txt to the image's version, so pip keeps the image's Airflow.
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" -r /opt/airflow/requirements.txt \
 && mkdir -p /opt/airflow/data

# The library is imported by every component (and by the emulator); compose mounts ./plugins here.
ENV PYTHONPATH=/opt/airflow/plugins \
    INVENTORY_DATA_DIR=/opt/airflow/data
