#!/usr/bin/python3
"""sambadc.py - a real Samba AD DC for adbk's tests, driven with Samba's own
Python modules (Debian's python3-samba, for /usr/bin/python3).

  sambadc.py provision DIR BACKEND [REALM]  samba-tool provision into DIR (mdb|tdb),
                                            bound to the loopback address only
  sambadc.py start DIR                      starts the samba daemon; exit 3 if it cannot
  sambadc.py stop DIR                       stops it (waits until it is gone)
  sambadc.py populate DIR N                 adds N users in one transaction (daemon stopped)
  sambadc.py writer DIR MODE SECONDS OUT    adds pairs that span two partitions until
                                            SECONDS pass or DIR/stop-writer exists,
                                            each pair in one transaction: MODE local
                                            (in-process ldb: a user in the domain
                                            partition and a subnet in the configuration
                                            partition) or ldap (through the daemon: a
                                            user, then a server object in the
                                            configuration partition whose serverReference
                                            puts a backlink on the user in the same
                                            transaction); writes OUT as JSON
  sambadc.py pairs PRIVATE_DIR BACKEND      reads the extracted databases straight from
                                            their files and prints complete and half pairs
  sambadc.py users DIR                      prints every user's sAMAccountName, sorted
  sambadc.py set-tombstone DIR DAYS|none    sets or removes tombstoneLifetime
  sambadc.py hold-lock FILE SECONDS         holds FILE's whole-file TDB lock, then exits
"""
import json
import os
import signal
import subprocess
import sys
import time

import ldb
import samba
import tdb
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB

PASSWORD = "Adbk.test-2026"


def conf(d):
    return os.path.join(d, "etc", "smb.conf")


def lp_of(d):
    lp = LoadParm()
    lp.load(conf(d))
    return lp


def local_db(d):
    return SamDB(url=os.path.join(d, "private", "sam.ldb"), session_info=system_session(),
                 lp=lp_of(d))


def provision(d, backend, realm="SAMDOM.EXAMPLE.COM"):
    domain = realm.split(".")[0]
    opts = ["interfaces=lo", "bind interfaces only=yes",
            "pid directory=" + os.path.join(d, "run"), "log file=" + os.path.join(d, "log.%m"),
            "lock directory=" + os.path.join(d, "lock"),
            "cache directory=" + os.path.join(d, "cache")]
    cmd = ["samba-tool", "domain", "provision", "--targetdir", d, "--realm", realm,
           "--domain", domain, "--adminpass", PASSWORD, "--server-role", "dc",
           "--backend-store", backend, "--dns-backend", "SAMBA_INTERNAL",
           "--host-name", "dc1", "--use-rfc2307"]
    for o in opts:
        cmd += ["--option", o]
    for sub in ("run", "lock", "cache"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def daemon_pid(d):
    try:
        with open(os.path.join(d, "run", "samba.pid")) as f:
            pid = int(f.read().split()[0])
        os.kill(pid, 0)
        return pid
    except (OSError, ValueError, IndexError):
        return 0


def port_taken(port):
    import socket
    with socket.socket() as sk:
        sk.settimeout(1)
        return sk.connect_ex(("127.0.0.1", port)) == 0


def start(d):
    # Another DC on the loopback address would answer for this one.
    if port_taken(389):
        print("another directory server listens on 127.0.0.1:389", file=sys.stderr)
        return 4
    subprocess.run(["samba", "-s", conf(d), "-D"], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    # Up when LDAP answers through the daemon.
    for _ in range(120):
        if daemon_pid(d):
            try:
                ldap_db(d).search(base="", scope=ldb.SCOPE_BASE, attrs=["dnsHostName"])
                return 0
            except Exception:
                pass
        time.sleep(0.5)
    stop(d)
    return 3


def session_members(sid):
    """Pids of the processes in session sid (field 6 of /proc/PID/stat)."""
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                if int(fields[3]) == sid:
                    pids.append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    return pids


def stop(d):
    """Stops the daemon and every process it started: samba renames its
    processes, so they are found by the sessions that samba, smbd and
    winbindd each lead (their pid files name the leaders)."""
    sids = set()
    for name in ("samba", "smbd", "winbindd"):
        try:
            with open(os.path.join(d, "run", name + ".pid")) as f:
                sids.add(os.getsid(int(f.read().split()[0])))
        except (OSError, ValueError, IndexError):
            pass
    for sig, wait in ((signal.SIGTERM, 100), (signal.SIGKILL, 50)):
        for sid in sids:
            for p in session_members(sid):
                try:
                    os.kill(p, sig)
                except OSError:
                    pass
        for _ in range(wait):
            if not any(session_members(sid) for sid in sids):
                return
            time.sleep(0.1)


def ldap_db(d):
    from samba.credentials import Credentials
    lp = lp_of(d)
    creds = Credentials()
    creds.guess(lp)
    creds.set_username("Administrator")
    creds.set_password(PASSWORD)
    return SamDB(url="ldap://127.0.0.1", credentials=creds, lp=lp)


def user_msg(db, name):
    return {"dn": "CN=%s,CN=Users,%s" % (name, db.domain_dn()), "objectClass": "user",
            "sAMAccountName": name}


def populate(d, n):
    db = local_db(d)
    first = len(db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                          expression="(sAMAccountName=adbkuser*)", attrs=["cn"]))
    db.transaction_start()
    for i in range(first, first + n):
        db.add(user_msg(db, "adbkuser%05d" % i))
    db.transaction_commit()


def subnet_dn(db, i):
    return "CN=10.%d.%d.0/24,CN=Subnets,CN=Sites,%s" % (i >> 8, i & 255,
                                                        db.get_config_basedn())


def writer(d, mode, seconds, out):
    db = ldap_db(d) if mode == "ldap" else local_db(d)
    stop_file = os.path.join(d, "stop-writer")
    end = time.monotonic() + float(seconds)
    # Numbers go on from the pairs a previous writer left.
    i = len(db.search(base=db.domain_dn(), scope=ldb.SCOPE_SUBTREE,
                      expression="(sAMAccountName=adbkpair*)", attrs=["cn"]))
    first = i
    errors, n_errors, run_of_errors = [], 0, 0
    max_lat = total_lat = 0.0
    servers = "CN=Servers,CN=Default-First-Site-Name,CN=Sites,%s" % db.get_config_basedn()
    # Stops at the stop file, at the deadline, when the DC's folder is gone
    # (its test ended), or after 20 failures in a row (nothing to write to).
    while (time.monotonic() < end and not os.path.exists(stop_file) and os.path.isdir(d)
           and run_of_errors < 20):
        name = "adbkpair%05d" % i
        t0 = time.monotonic()
        try:
            if mode == "local":
                db.transaction_start()
                db.add(user_msg(db, name))
                db.add({"dn": subnet_dn(db, i), "objectClass": "subnet"})
                db.transaction_commit()
            else:
                u = user_msg(db, name)
                db.add(u)
                db.add({"dn": "CN=%s,%s" % (name, servers), "objectClass": "server",
                        "serverReference": u["dn"]})
            run_of_errors = 0
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            n_errors += 1
            run_of_errors += 1
            if len(errors) < 5:
                errors.append("%s: %s" % (name, e))
            if mode == "local":
                try:
                    db.transaction_cancel()
                except Exception:
                    pass
        lat = time.monotonic() - t0
        max_lat = max(max_lat, lat)
        total_lat += lat
        i += 1
    with open(out, "w") as f:
        n = i - first
        json.dump({"pairs": n, "error_count": n_errors, "errors": errors,
                   "max_latency": max_lat, "mean_latency": total_lat / n if n else 0}, f)


def open_file(path, backend):
    return ldb.Ldb("%s://%s" % (backend, path), flags=ldb.FLG_RDONLY, options=["modules:"])


def partition_files(private):
    sam = open_file(os.path.join(private, "sam.ldb"), "tdb")
    part = sam.search(base="@PARTITION", scope=ldb.SCOPE_BASE)[0]
    files = {}
    for v in part["partition"]:
        nc, f = str(v).split(":", 1)
        files[nc.upper()] = os.path.join(private, f)
    root = sam.search(base="@ROOTDSE", scope=ldb.SCOPE_BASE)[0]
    return files, str(root["defaultNamingContext"][0]), str(root["configurationNamingContext"][0])


def names(db, base, expr, attr):
    return {str(m[attr][0]) for m in db.search(base=base, scope=ldb.SCOPE_SUBTREE,
                                               expression=expr, attrs=[attr]) if attr in m}


def pairs(private, backend):
    files, dom, cfg = partition_files(private)
    ddb = open_file(files[dom.upper()], backend)
    cdb = open_file(files[cfg.upper()], backend)
    users = {n for n in names(ddb, dom, "(sAMAccountName=adbkpair*)", "sAMAccountName")}
    subnets = names(cdb, cfg, "(objectClass=subnet)", "cn")
    local = {"adbkpair%05d" % (int(s.split(".")[1]) * 256 + int(s.split(".")[2]))
             for s in subnets if s.startswith("10.")}
    servers = names(cdb, cfg, "(&(objectClass=server)(cn=adbkpair*))", "cn")
    linked = set()
    for m in ddb.search(base=dom, scope=ldb.SCOPE_SUBTREE,
                        expression="(sAMAccountName=adbkpair*)",
                        attrs=["sAMAccountName", "serverReferenceBL"]):
        if "serverReferenceBL" in m:
            linked.add(str(m["sAMAccountName"][0]))
    # A pair is a user with its subnet (local) or a server with the user's
    # backlink (ldap); users added before their server (ldap) are no pair yet.
    halves = sorted((local ^ users) if local else (servers ^ linked))
    print(json.dumps({"users": len(users), "subnets": len(local), "servers": len(servers),
                      "linked": len(linked), "half": halves}))
    return 1 if halves else 0


def users(d):
    db = local_db(d)
    for n in sorted(names(db, db.domain_dn(), "(objectClass=user)", "sAMAccountName")):
        print(n)


def set_tombstone(d, days):
    db = local_db(d)
    dn = "CN=Directory Service,CN=Windows NT,CN=Services,%s" % db.get_config_basedn()
    m = ldb.Message()
    m.dn = ldb.Dn(db, dn)
    if days == "none":
        m["tombstoneLifetime"] = ldb.MessageElement([], ldb.FLAG_MOD_DELETE, "tombstoneLifetime")
    else:
        m["tombstoneLifetime"] = ldb.MessageElement(days, ldb.FLAG_MOD_REPLACE,
                                                    "tombstoneLifetime")
    db.modify(m)


def hold_lock(path, seconds):
    t = tdb.Tdb(path, 0, tdb.DEFAULT, os.O_RDWR)
    t.lock_all()
    print("locked", flush=True)
    time.sleep(float(seconds))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "provision":
        provision(*args)
    elif cmd == "start":
        return start(args[0])
    elif cmd == "stop":
        stop(args[0])
    elif cmd == "populate":
        populate(args[0], int(args[1]))
    elif cmd == "writer":
        writer(*args)
    elif cmd == "pairs":
        return pairs(*args)
    elif cmd == "users":
        users(args[0])
    elif cmd == "set-tombstone":
        set_tombstone(*args)
    elif cmd == "hold-lock":
        hold_lock(*args)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
