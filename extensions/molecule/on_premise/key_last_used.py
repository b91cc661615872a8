#!/usr/bin/env python
"""Whether an access key has been used, and for which service, as IAM records it (GetAccessKeyLastUsed).

    key_last_used.py AKIA...

Prints JSON {"used": bool, "service": name}. Exits 1 while the key has no recorded use, so a task can retry.
Credentials, region and endpoint of the caller come from the environment, as for any AWS SDK. IAM on AWS
records a use some minutes to hours late; the test world records it at once.
"""

import json
import sys

import boto3


def last_used(access_key_id):
    found = boto3.client("iam").get_access_key_last_used(AccessKeyId=access_key_id)["AccessKeyLastUsed"]
    return {"used": found.get("LastUsedDate") is not None, "service": found.get("ServiceName", "N/A")}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    seen = last_used(argv[0])
    print(json.dumps(seen))
    return 0 if seen["used"] else 1


if __name__ == "__main__":
    sys.exit(main())
