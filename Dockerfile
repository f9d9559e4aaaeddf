# The dinit binary alone, to be copied into other images:
#   COPY --from=dinit:dev /dinit /dinit
# Build with `make image` (it runs `make release` first for dist/).
FROM scratch
# Set by BuildKit from --platform; the classic builder uses the default.
ARG TARGETARCH=amd64
COPY dist/dinit-linux-${TARGETARCH} /dinit
ENTRYPOINT ["/dinit"]
