mkfifo etc/.ignition-result.json
