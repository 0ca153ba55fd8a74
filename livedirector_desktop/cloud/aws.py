"""boto3 clients and AWS errors in words a creator can act on, never with a credential."""

from __future__ import annotations

from livedirector_desktop.core.errors import LiveDirectorError

CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "AccessDenied",
    "AccessDeniedException",
    "403",
}


def client(service: str, region: str = "", endpoint_url: str = "", timeout_s: float = 10.0):
    """A client on the standard credential chain (env, profile, SSO, instance role)."""
    try:
        import boto3
        from botocore.config import Config
    except ImportError as exc:
        raise LiveDirectorError(
            "the cloud parts need boto3", "install them: pip install 'livedirector-desktop[cloud]'"
        ) from exc
    config = Config(
        connect_timeout=timeout_s,
        read_timeout=timeout_s,
        retries={"max_attempts": 1},
        region_name=region or None,
    )
    session = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=endpoint_url or None,
        config=config,
        region_name=region or session.region_name or "us-east-1",
    )


def explain(exc: Exception, what: str) -> LiveDirectorError:
    """A LiveDirectorError for a botocore failure; the message never carries a secret."""
    from botocore.exceptions import (
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return LiveDirectorError(
            f"{what}: no AWS credentials found",
            "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws configure`",
        )
    if isinstance(exc, EndpointConnectionError):
        return LiveDirectorError(
            f"{what}: cannot reach {exc.kwargs.get('endpoint_url', 'AWS')}",
            "check the network or --endpoint-url",
        )
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in ("NoSuchBucket",) or (code == "404" and "bucket" in what.lower()):
            return LiveDirectorError(
                f"{what}: the bucket does not exist",
                "check --bucket (and --endpoint-url), or create the bucket",
            )
        if code in CREDENTIAL_CODES or status == 403:
            return LiveDirectorError(
                f"{what}: AWS refused the credentials ({code or status})",
                "check the access key, secret and permissions in use",
            )
        return LiveDirectorError(f"{what}: {code or status}")
    return LiveDirectorError(
        f"{what}: the transfer failed ({type(exc).__name__})",
        "check the connection and run it again: finished parts are kept",
    )
