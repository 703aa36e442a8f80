# SPDX-License-Identifier: Apache-2.0
"""Starting and stopping the fetch tests' servers, all on 127.0.0.1/::1 and
free ports: server.py (HTTP, HTTPS with certificates made here by openssl,
proxies), in.tftpd (tftpd-hpa, foreground), s3.py and gcs.py."""

import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"


class Proc:
    """A child that prints its port on stdout and ends when its stdin closes."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.p.stdout.readline()
        if not line.strip():
            self.stop()
            raise RuntimeError("%s did not start" % argv[1])
        self.port = int(line)

    def stop(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


CA_CONF = """[ca]
default_ca = ca
[ca]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
"""


def make_pki(d):
    """ca.pem/ca.key (the test CA), other-ca.pem (a CA nobody trusts) and
    server certificates: good (localhost, 127.0.0.1, ::1, proxied.test),
    expired, wronghost (only wrong.test), unknown (signed by other-ca)."""
    with open(os.path.join(d, "ca.conf"), "w") as f:
        f.write(CA_CONF)
    open(os.path.join(d, "index.txt"), "w").close()
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")
    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".pem",
                "-days", "30", "-subj", "/CN=ignis test %s" % ca, cwd=d)
    certs = {
        "good": ("ca", "DNS:localhost,IP:127.0.0.1,IP:::1,DNS:proxied.test", None),
        "expired": ("ca", "DNS:localhost,IP:127.0.0.1", ("20200101000000Z", "20200201000000Z")),
        "wronghost": ("ca", "DNS:wrong.test", None),
        "unknown": ("other-ca", "DNS:localhost,IP:127.0.0.1", None),
    }
    for name, (ca, san, dates) in certs.items():
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", "/CN=%s" % name, "-addext", "subjectAltName=" + san, cwd=d)
        args = ["ca", "-batch", "-config", "ca.conf", "-cert", ca + ".pem", "-keyfile", ca + ".key",
                "-in", name + ".csr", "-out", name + ".pem", "-notext"]
        args += ["-startdate", dates[0], "-enddate", dates[1]] if dates else ["-days", "30"]
        openssl(*args, cwd=d)


class Servers:
    def __init__(self, www, want=("http", "https", "proxy", "tftp", "s3", "gcs")):
        self.tmp = tempfile.mkdtemp(prefix="ignis-fetch-")
        self.procs = {}
        self.www = www
        self.urls = {}
        try:
            self._start(want)
        except Exception:
            self.stop()
            raise

    def _server(self, key, *args):
        self.procs[key] = Proc([PYTHON, os.path.join(HERE, "server.py"), "--root", self.www] + list(args))
        return self.procs[key].port

    def _start(self, want):
        if "http" in want:
            self.urls["http"] = "http://127.0.0.1:%d" % self._server("http")
            self.urls["http6"] = "http://[::1]:%d" % self._server("http6", "--bind", "::1")
        if "https" in want:
            pki = os.path.join(self.tmp, "pki")
            os.mkdir(pki)
            make_pki(pki)
            self.pki = pki
            for name in ("good", "expired", "wronghost", "unknown"):
                port = self._server("https-" + name, "--tls", os.path.join(pki, name + ".pem"),
                                    os.path.join(pki, name + ".key"))
                self.urls["https" if name == "good" else "https_" + name] = "https://127.0.0.1:%d" % port
            self.urls["https_port"] = self.urls["https"].rsplit(":", 1)[1]
        if "proxy" in want:
            self.urls["proxy"] = "http://127.0.0.1:%d" % self._server("proxy", "--proxy", "forward")
            self.urls["proxy_refuse"] = "http://127.0.0.1:%d" % self._server("proxy-refuse", "--proxy", "refuse")
        if "tftp" in want:
            self.procs["tftp"] = Proc([PYTHON, os.path.join(HERE, "tftpd.py"), self.www])
            self.urls["tftp"] = "tftp://127.0.0.1:%d" % self.procs["tftp"].port
        if "s3" in want:
            self.procs["s3"] = Proc([PYTHON, os.path.join(HERE, "s3.py"), "--root", self.www])
            self.urls["s3_endpoint"] = "http://127.0.0.1:%d" % self.procs["s3"].port
        if "gcs" in want:
            self.procs["gcs"] = Proc([PYTHON, os.path.join(HERE, "gcs.py"), "--root", self.www])
            self.urls["gcs_endpoint"] = "http://127.0.0.1:%d" % self.procs["gcs"].port

    def env(self):
        """The environment that points ignis's metadata and storage
        services at the local servers."""
        e = {}
        if "s3_endpoint" in self.urls:
            e["IGNIS_AWS_IMDS_URL"] = self.urls["s3_endpoint"]
            e["IGNIS_S3_ENDPOINT"] = self.urls["s3_endpoint"]
        if "gcs_endpoint" in self.urls:
            e["IGNIS_GCP_METADATA_URL"] = self.urls["gcs_endpoint"]
            e["IGNIS_GCS_URL"] = self.urls["gcs_endpoint"]
        return e

    def stop(self):
        for p in self.procs.values():
            p.stop()
        self.procs = {}
        shutil.rmtree(self.tmp, ignore_errors=True)
