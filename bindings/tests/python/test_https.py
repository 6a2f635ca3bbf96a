"""The Python bindings over HTTPS: a real coffre-server serving TLS with a certificate from a CA made
for this run (COFFRE_TEST_TLS_DIR: ca.pem, cert.pem, key.pem, from the harness's `test_ca` example).
Without the CA the library refuses the server before sending anything; `trust_operator_ca` refuses
what is not a CA file; with the CA trusted, a vault enrols and syncs. Run by scripts/test-bindings.sh.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import coffre_ffi as c


class Secret(c.PlatformSecretProvider):
    def platform_secret(self):
        return bytes([9] * 32)


def start_tls_server(data_dir, tls_dir):
    env = dict(os.environ, COFFRE_SERVER_LISTEN="127.0.0.1:0", COFFRE_SERVER_DATA_DIR=data_dir,
               COFFRE_SERVER_TLS_CERT_FILE=os.path.join(tls_dir, "cert.pem"),
               COFFRE_SERVER_TLS_KEY_FILE=os.path.join(tls_dir, "key.pem"))
    proc = subprocess.Popen([os.environ["COFFRE_TEST_SERVER_BIN"]], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        m = re.search(r"listening on (\S+)", proc.stdout.readline() or "")
        if m:
            return proc, "https://" + m.group(1)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("coffre-server did not start with TLS")


tls_dir = os.environ["COFFRE_TEST_TLS_DIR"]
work = tempfile.mkdtemp(prefix="coffre-py-https-")
server, url = start_tls_server(os.path.join(work, "server"), tls_dir)
failed = 0
try:
    phone = c.Coffre(os.path.join(work, "vault"), Secret())
    phone.create("https 2468")
    try:
        phone.sync().enroll(url)
        raise AssertionError("enrolled with a server whose CA is not trusted")
    except c.CoffreError.InvalidInput as e:
        assert "certificate is not trusted" in str(e), e
    for bad in ["", "bonjour", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"]:
        try:
            c.trust_operator_ca(bad)
            raise AssertionError(f"accepted {bad!r}")
        except c.CoffreError.InvalidInput:
            pass
    with open(os.path.join(tls_dir, "ca.pem")) as f:
        assert c.trust_operator_ca(f.read()) == 1
    phone.sync().enroll(url)
    report = phone.sync().sync(c.SyncOptions(download_all=False), None, c.CancelHandle())
    assert report is not None
    devices = phone.sync().devices()
    assert len(devices) == 1 and devices[0].this_device
    assert phone.sync().server_url() == url
    print("ok   enrol and sync over HTTPS once the operator's CA is trusted, refused before")
except Exception:  # noqa: BLE001 - report
    import traceback

    traceback.print_exc()
    failed = 1
finally:
    server.kill()
    server.wait()
    shutil.rmtree(work, ignore_errors=True)

print(f"{1 - failed} passed, {failed} failed")
sys.exit(failed)
