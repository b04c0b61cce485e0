"""Transports: grpc.aio servicers, the HTTP/1.1 listener, auth, validation, error mapping."""
