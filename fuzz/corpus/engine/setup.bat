@echo off
setx SONAR_TOKEN ad1f75e63fcf0f6c1e497a8d0b53b625ec33dc07
set SONAR_HOST_URL=https://sonar.acme.internal
