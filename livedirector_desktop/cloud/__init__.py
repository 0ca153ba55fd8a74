"""Optional cloud parts (boto3): Bedrock reasoning and embeddings, S3 sync of a library.

Nothing here is imported unless switched on; the app runs fully without boto3 installed
(`pip install .[cloud]` adds it). No credential is ever logged or put in a message.
"""
