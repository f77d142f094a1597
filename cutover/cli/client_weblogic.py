"""A WebLogic server's trust, read from its domain folder as Oracle documents it: ``cutover client --weblogic-domain``.

The renewal goes wrong here when the new root is imported into the JDK's cacerts while the server trusts its Custom
Trust keystore, or into a store a start script names that WebLogic's own SSL never reads. So the trust is read the
way WebLogic decides it (Oracle, "Configuring Keystores", Administering Security for Oracle WebLogic Server 12c/14c,
and the Console's "Servers: Configuration: Keystores" page): the server's ``<key-stores>`` in ``config/config.xml``
(absent: ``DemoIdentityAndDemoTrust``), unless the server's command line names a trusted-CA keystore first
(``-Dweblogic.security.SSL.trustedCAKeyStore``, Oracle's "How WebLogic Server Locates Trust"); Command Line Trust
takes the store from the ``-Dweblogic.security.TrustKeyStore`` / ``CustomTrustKeyStore*`` options. Demo trust is two
files trusted together, the JDK's cacerts (by its path: WebLogic reads cacerts, not jssecacerts) and
``WL_HOME/server/lib/DemoTrust.jks``. A passphrase is never read: config.xml holds it encrypted and a script's value
is a secret; its presence names a ``password_env``.

The command line comes from shell scripts (``bin/setDomainEnv.sh``, ``bin/setUserOverrides.sh``,
``bin/startWebLogic.sh``) and the server's ``<server-start><arguments>``, and shell logic cannot be evaluated here:
every option and ``JAVA_HOME`` / ``WL_HOME`` keeps the ``file:line`` it was read at and says "verify". For a
running server, ``cutover client --pid`` reads what the JVM really got.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from cutover.cli.client_read import Option, ReadError, effective

DEMO = "DemoIdentityAndDemoTrust"
JAVA_STANDARD = "CustomIdentityAndJavaStandardTrust"
CUSTOM = "CustomIdentityAndCustomTrust"
COMMAND_LINE = "CustomIdentityAndCommandLineTrust"
#: The values of a server's <key-stores> (the domain schema's enumeration for ServerMBean.KeyStores).
KEY_STORES = (DEMO, JAVA_STANDARD, CUSTOM, COMMAND_LINE)
#: The domain's start scripts, in the order they build the server's JAVA_OPTIONS: startWebLogic.sh sources
#: setDomainEnv.sh, which sources setUserOverrides.sh near its end.
SCRIPTS = ("bin/setDomainEnv.sh", "bin/setUserOverrides.sh", "bin/startWebLogic.sh")
#: Where a Node Manager that starts the server takes its JDK from (12c domains write it there).
NM_JAVA_HOME = "bin/setNMJavaHome.sh"
#: The per-domain Node Manager's settings: its JavaHome starts a server that names no JDK of its own.
NM_PROPERTIES = "nodemanager/nodemanager.properties"
#: The command-line properties WebLogic reads for its trust before config.xml (its "pre-MBean" trust settings).
TRUSTED_CA = "weblogic.security.SSL.trustedCAKeyStore"
TRUST_KEY_STORE = "weblogic.security.TrustKeyStore"
CUSTOM_FILE = "weblogic.security.CustomTrustKeyStoreFileName"
CUSTOM_TYPE = "weblogic.security.CustomTrustKeyStoreType"
CUSTOM_PASS = "weblogic.security.CustomTrustKeyStorePassPhrase"
STANDARD_PASS = "weblogic.security.JavaStandardTrustKeyStorePassPhrase"
IGNORE_HOSTNAME = "weblogic.security.SSL.ignoreHostnameVerification"
HOSTNAME_VERIFIER = "weblogic.security.SSL.hostnameVerifier"
VERIFY = "shell logic not evaluated: verify"
#: How a JDK read from where Node Manager takes it is qualified: whether Node Manager starts the server is to check.
BY_NODE_MANAGER = "used when Node Manager starts it: verify"
_OPTION = re.compile(r"""(?<![\w$])-D([A-Za-z_][\w.\-]*)(?:=("[^"]*"|'[^']*'|[^\s"';`)]*))?""")
_ASSIGN = re.compile(r"""^\s*(?:export\s+)?([A-Za-z_]\w*)=("[^"]*"|'[^']*'|[^\s;]*)\s*(?:;.*)?$""")
_VAR = re.compile(r"\$\{([A-Za-z_]\w*)\}|\$([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Server:
    """One ``<server>`` of config.xml, as far as its trust goes.

    Attributes:
        name: its ``<name>``.
        key_stores: its ``<key-stores>``, ``DemoIdentityAndDemoTrust`` when the element is absent (the default).
        fields: the trust elements present (custom-trust-key-store-file-name, -type, the encrypted passphrases'
            names only, ssl/hostname-verification-ignored, ssl/hostname-verifier) by element name; passphrases
            are kept as ``"set"``, never their value.
        arguments: its ``<server-start><arguments>``, the options Node Manager starts it with.
        java_home: its ``<server-start><java-home>``, the JDK Node Manager starts it with; "" when unset.
    """

    name: str
    key_stores: str
    fields: dict[str, str]
    arguments: str
    java_home: str = ""


@dataclass(frozen=True)
class Domain:
    """What a domain folder says about one server's JVM and trust, each value with where it was read.

    Attributes:
        folder: the domain folder (DOMAIN_HOME): relative store paths resolve from it, where servers boot.
        server: the server read.
        options: its -D options from the scripts and <server-start><arguments>, in that order, each "verify".
        java_home: (path, file:line) where a script sets JAVA_HOME, None when none does.
        wl_home: (path, file:line) where a script sets WL_HOME, None when none does.
        notes: what a person must check (a second JAVA_HOME, options set twice).
        kss_demo: the domain's <security-configuration> has <use-kss-for-demo>true: its Demo trust is the OPSS
            Keystore Service's kss://system/trust, no file (JRF domains, 12.2.1 and later).
    """

    folder: Path
    server: Server
    options: tuple[Option, ...]
    java_home: tuple[Path, str] | None
    wl_home: tuple[Path, str] | None
    notes: tuple[str, ...] = ()
    kss_demo: bool = False


def _local(tag: str) -> str:
    """An element's name without its namespace: config.xml's namespace changed across releases (bea.com, oracle.com)."""
    return tag.rpartition("}")[2]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: ET.Element, name: str) -> str | None:
    found = _child(element, name)
    return None if found is None else (found.text or "").strip()


def read_config(domain: Path) -> tuple[Path, list[ET.Element], bool]:
    """config/config.xml's <server> elements; a missing or malformed file is one paragraph naming it."""
    config = domain / "config" / "config.xml"
    try:
        root = ET.fromstring(config.read_bytes())
    except OSError as e:
        raise ReadError(f"--weblogic-domain {domain}: cannot read {config} ({e.strerror or e}). Give the domain's "
                        "folder (DOMAIN_HOME, the one holding config/config.xml and bin/setDomainEnv.sh), as the "
                        "server's user.") from e
    except ET.ParseError as e:
        raise ReadError(f"--weblogic-domain {domain}: {config} is not well-formed XML ({e}). WebLogic would not "
                        "start with it either: restore it from the domain's backup (config/config.xml.*, or "
                        "config-original.jar), then run this again.") from e
    if _local(root.tag) != "domain":
        raise ReadError(f"--weblogic-domain {domain}: {config} has <{_local(root.tag)}> at its top, not <domain>: it "
                        "is not a WebLogic domain's config.xml. Give the domain's folder.")
    security = _child(root, "security-configuration")
    # SecurityConfigurationMBean.UseKSSForDemo; its element's spelling is matched loosely (use-kss-for-demo).
    kss_demo = security is not None and any(_local(c.tag).replace("-", "").lower() == "usekssfordemo"
                                            and (c.text or "").strip().lower() == "true" for c in security)
    return config, [e for e in root if _local(e.tag) == "server"], kss_demo


def choose_server(domain: Path, servers: list[ET.Element], wanted: str | None) -> Server:
    """The server --server names, or the domain's only one; a wrong or missing choice lists the servers."""
    config = domain / "config" / "config.xml"
    names = [_text(s, "name") or "" for s in servers]
    if not servers:
        raise ReadError(f"--weblogic-domain {domain}: {config} has no <server>: there is no server to read.")
    if wanted is None and len(servers) > 1:
        raise ReadError(f"--weblogic-domain {domain}: the domain has {len(servers)} servers ({', '.join(names)}); "
                        "each has its own trust. Choose one with --server NAME (the managed server that runs the "
                        "integration, not necessarily AdminServer).")
    if wanted is not None and wanted not in names:
        raise ReadError(f"--server {wanted}: no such server in {config}. Its servers: {', '.join(names)}.")
    element = servers[names.index(wanted) if wanted is not None else 0]
    key_stores = _text(element, "key-stores") or DEMO
    if key_stores not in KEY_STORES:
        raise ReadError(f"{config}: server {names[servers.index(element)]!r} has <key-stores>{key_stores}"
                        f"</key-stores>, which is none of WebLogic's values ({', '.join(KEY_STORES)}). Fix the value "
                        "(in the Console: Servers > the server > Configuration > Keystores), then run this again.")
    fields: dict[str, str] = {} if _text(element, "key-stores") is None else {"key-stores": key_stores}
    for child in element:
        tag = _local(child.tag)
        if tag.endswith("-pass-phrase-encrypted") or tag.endswith("-pass-phrase"):
            fields[tag] = "set"  # its presence matters, never its value
        elif tag.startswith(("custom-trust-key-store", "java-standard-trust")):
            fields[tag] = (child.text or "").strip()
    ssl = _child(element, "ssl")
    for tag in ("hostname-verification-ignored", "hostname-verifier"):
        value = _text(ssl, tag) if ssl is not None else None
        if value is not None:
            fields[f"ssl/{tag}"] = value
    start = _child(element, "server-start")
    arguments = (_text(start, "arguments") or "") if start is not None else ""
    java_home = (_text(start, "java-home") or "") if start is not None else ""
    return Server(names[servers.index(element)], key_stores, fields, arguments, java_home=java_home)


def _expand(value: str, known: dict[str, str]) -> str:
    """``${X}`` and ``$X`` replaced by what the scripts assigned X before; an unknown one stays as written."""
    return _VAR.sub(lambda m: known.get(m.group(1) or m.group(2), m.group(0)), value)


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" else value


def read_scripts(domain: Path) -> tuple[list[Option], dict[str, list[tuple[str, str]]]]:
    """The -D options of the start scripts and the variables they assign, each with its ``file:line``.

    Lines are read, not run: a comment line is skipped, every other line's ``-Dname=value`` counts, whatever ``if``
    it sits in; ``${X}`` expands from an earlier assignment (DOMAIN_HOME is the folder given)."""
    known = {"DOMAIN_HOME": str(domain)}
    assigned: dict[str, list[tuple[str, str]]] = {}
    options: list[Option] = []
    for rel in (*SCRIPTS, NM_JAVA_HOME):
        path = domain / rel
        try:
            text = path.read_text(encoding="utf-8", errors="surrogateescape")
        except FileNotFoundError:
            continue
        except OSError as e:
            raise ReadError(f"--weblogic-domain {domain}: cannot read {path} ({e.strerror or e}); the server's start "
                            "reads it. Run cutover as the server's user.") from e
        for n, line in enumerate(text.splitlines(), 1):
            if line.lstrip().startswith("#"):
                continue
            where = f"{path}:{n}"
            assignment = _ASSIGN.match(line)
            if assignment and "-D" not in assignment.group(2):
                value = _expand(_unquote(assignment.group(2)), known)
                known[assignment.group(1)] = value
                assigned.setdefault(assignment.group(1), []).append((value, where))
            if rel != NM_JAVA_HOME:
                options += [Option(f"-D{m.group(1)}={_expand(_unquote(m.group(2) or ''), known)}",
                                   f"{where} ({VERIFY})") for m in _OPTION.finditer(line)]
    return options, assigned


def _nm_properties(domain: Path) -> tuple[Path, str] | None:
    """JavaHome from the domain's nodemanager.properties (a Java properties file: ``\\:`` and ``\\\\`` unescaped),
    with its file:line; None when the file or the key is absent."""
    path = domain / NM_PROPERTIES
    try:
        lines = path.read_text(encoding="latin-1").splitlines()
    except OSError:
        return None
    for n, line in enumerate(lines, 1):
        m = re.match(r"\s*JavaHome\s*[=:]\s*(.*?)\s*$", line)
        if m and m.group(1):
            return Path(re.sub(r"\\(.)", r"\1", m.group(1))), f"{path}:{n}"
    return None


def _home(assigned: dict[str, list[tuple[str, str]]], var: str, notes: list[str],
          files: tuple[str, ...] = SCRIPTS) -> tuple[Path, str] | None:
    """The last value a script gives `var` that is a whole path (an empty or ``${...}`` one is a branch not taken),
    and a note when the scripts give it several."""
    values = [(v, w) for v, w in assigned.get(var, []) if v and "$" not in v and w.rpartition(":")[0].endswith(files)]
    if not values:
        return None
    if len({v for v, _ in values}) > 1:
        notes.append(f"the scripts set {var} to several values ({'; '.join(f'{v} at {w}' for v, w in values)}); "
                     f"the last is taken, which branch runs is shell logic: verify.")
    return Path(values[-1][0]), values[-1][1]


def read_domain(domain: Path, server_name: str | None) -> Domain:
    """The server's trust settings and JVM options as the domain folder writes them down."""
    domain = domain.resolve()
    config, servers, kss_demo = read_config(domain)
    server = choose_server(domain, servers, server_name)
    options, assigned = read_scripts(domain)
    if server.arguments:
        where = f"{config} <server-start><arguments> of {server.name} (used when Node Manager starts it: verify)"
        options += [Option(f"-D{m.group(1)}={_unquote(m.group(2) or '')}", where)
                    for m in _OPTION.finditer(server.arguments)]
    notes: list[str] = []
    java_home = _home(assigned, "JAVA_HOME", notes)
    # Node Manager's JDK for this server, most specific first: the server's own, then the one it gives a server
    # naming none, then the one it runs on itself.
    own = (Path(server.java_home), f"{config} <server-start><java-home> of {server.name}") if server.java_home else None
    node_manager = own or _nm_properties(domain) or _home(assigned, "JAVA_HOME", [], (NM_JAVA_HOME,))
    if node_manager is not None and (java_home is None or node_manager[0] != java_home[0]):
        notes.append(f"Node Manager starts {server.name} with JAVA_HOME={node_manager[0]} ({node_manager[1]}), the "
                     f"start scripts with {java_home[0] if java_home else 'none'}: verify how it is started.")
        java_home = java_home or (node_manager[0], f"{node_manager[1]}, {BY_NODE_MANAGER}")
    seen: dict[str, set[str]] = {}
    for o in options:
        seen.setdefault(o.name, set()).add(o.value)
    notes += [f"-D{name} is set to several values in the scripts; the JVM keeps the last on its command line, "
              "which shell logic decides: verify." for name, values in seen.items() if len(values) > 1]
    return Domain(domain, server, tuple(options), java_home, _home(assigned, "WL_HOME", notes), tuple(notes),
                  kss_demo)


@dataclass(frozen=True)
class Trust:
    """The files a WebLogic server trusts, and why, for the table.

    Attributes:
        files: the stores trusted together, the one a fix goes into first (the JDK's cacerts for Demo trust).
        why: the comment on the ``truststore`` line: the setting that decides it and where it was read.
        password: where WebLogic gets that store's passphrase (an element's or option's name and where), ""
            when it opens it with none; never the passphrase.
        comments: more lines for the table: the store type, the hostname verification setting, a disagreement.
    """

    files: tuple[Path, ...]
    why: str
    password: str
    comments: tuple[str, ...]


def cacerts(domain: Domain, mode: str) -> Path:
    """The JDK's cacerts file itself (WebLogic's Java Standard trust reads cacerts, never jssecacerts): JDK 8 keeps
    it under jre/, later JDKs under lib/."""
    if domain.java_home is None:
        raise ReadError(f"--weblogic-domain {domain.folder}: server {domain.server.name!r} trusts the JDK's cacerts "
                        f"({mode}), and neither a script of the domain ({', '.join(SCRIPTS)}) nor its "
                        "<server-start><java-home> sets JAVA_HOME, so cutover cannot tell which JDK's. Read the "
                        "running server with --pid PID instead, or set JAVA_HOME in bin/setDomainEnv.sh as the "
                        "server's start does.")
    home, where = domain.java_home
    candidates = (home / "jre" / "lib" / "security" / "cacerts", home / "lib" / "security" / "cacerts")
    for path in candidates:
        if path.is_file():
            return path
    raise ReadError(f"--weblogic-domain {domain.folder}: JAVA_HOME={home} ({where}) has no cacerts "
                    f"({' nor '.join(map(str, candidates))}): that JDK is not on this machine. Run cutover where the "
                    "server runs, or read the running server with --pid PID.")


def _store(domain: Domain, value: str, what: str, where: str) -> Path:
    """A store file as WebLogic opens it: a relative path from the folder the server boots in, the domain's."""
    if value.lower().startswith("kss://"):
        raise ReadError(f"{where}: {what} {value!r} is an OPSS Keystore Service store, not a file cutover can read. "
                        "Export it to a file (WLST exportKeyStore) and give that file as the client's truststore.")
    path = Path(value) if Path(value).is_absolute() else domain.folder / value
    if "$" in value or not path.is_file():
        why = "names a shell variable cutover cannot evaluate" if "$" in value else "does not exist here"
        raise ReadError(f"{where}: {what} {value!r} ({path}) {why}, so its certificates cannot be read. The server "
                        "would fail to load it too: fix the path (relative paths are from the domain folder, where "
                        "the server boots), or run cutover where the server's files are.")
    return path


def _demo(domain: Domain, mode: str) -> tuple[Path, ...]:
    jdk = cacerts(domain, mode)
    if domain.kss_demo:
        raise ReadError(f"--weblogic-domain {domain.folder}: server {domain.server.name!r} uses Demo trust ({mode}) "
                        "and the domain sets <use-kss-for-demo>true</use-kss-for-demo>: its demo trust store is the "
                        "OPSS Keystore Service's kss://system/trust, not a file cutover can read. Export it to a file "
                        "(WLST exportKeyStore) and name that file with the JDK's cacerts in truststore = [...], or "
                        "move the server to Custom trust.")
    if domain.wl_home is None:
        raise ReadError(f"--weblogic-domain {domain.folder}: server {domain.server.name!r} uses Demo trust ({mode}), "
                        "which trusts WL_HOME/server/lib/DemoTrust.jks, and no script of the domain sets WL_HOME "
                        f"({', '.join(SCRIPTS)}). Read the running server with --pid PID instead.")
    demo = domain.wl_home[0] / "server" / "lib" / "DemoTrust.jks"
    if not demo.is_file():
        raise ReadError(f"--weblogic-domain {domain.folder}: Demo trust reads {demo} (WL_HOME from "
                        f"{domain.wl_home[1]}), which does not exist here. Run cutover where the server runs.")
    return jdk, demo


def _from_command_line(domain: Domain, props: dict[str, Option], config: Path) -> tuple[tuple[Path, ...], str, str]:
    """Command Line Trust: the store the -Dweblogic.security.TrustKeyStore options name (files, why, password)."""
    mode = props.get(TRUST_KEY_STORE)
    where = f"{config}: <key-stores>{COMMAND_LINE}</key-stores> of {domain.server.name}"
    if mode is None or mode.value == "CustomTrust":
        named = props.get(CUSTOM_FILE)
        if named is None:
            jsse = props.get("javax.net.ssl.trustStore")
            aside = (f" The -Djavax.net.ssl.trustStore the domain sets ({jsse.source}) is not it: WebLogic's own "
                     "SSL does not read javax.net.ssl.* stores (Oracle, Developing Security-Aware Clients).") \
                if jsse else ""
            raise ReadError(f"{where}: the trust store is given on the server's command line, and no script of the "
                            f"domain sets -D{TRUST_KEY_STORE}=CustomTrust with -D{CUSTOM_FILE}=FILE (nor "
                            f"JavaStandardTrust).{aside} Read the running server with --pid PID, or look for the "
                            "options in how it is started (Node Manager's start arguments, a service unit).")
        file = _store(domain, named.value, f"-D{named.name}", named.source)
        why = f"{COMMAND_LINE}: -D{named.name} ({named.source})"
        password = f"-D{CUSTOM_PASS} ({props[CUSTOM_PASS].source})" if CUSTOM_PASS in props else ""
        return (file,), why, password
    password = f"-D{STANDARD_PASS} ({props[STANDARD_PASS].source})" if STANDARD_PASS in props else ""
    if mode.value == "JavaStandardTrust":
        return (cacerts(domain, f"-D{TRUST_KEY_STORE}=JavaStandardTrust"),), \
            f"{COMMAND_LINE}: -D{TRUST_KEY_STORE}=JavaStandardTrust ({mode.source}): the JDK's cacerts", password
    if mode.value == "DemoTrust":
        return _demo(domain, f"-D{TRUST_KEY_STORE}=DemoTrust"), \
            f"{COMMAND_LINE}: -D{TRUST_KEY_STORE}=DemoTrust ({mode.source}): Demo trust", password
    raise ReadError(f"-D{TRUST_KEY_STORE}={mode.value} ({mode.source}) is none of WebLogic's values (DemoTrust, "
                    "JavaStandardTrust, CustomTrust); the server refuses its trust settings. Fix the option.")


def _hostname(domain: Domain, props: dict[str, Option], config: Path) -> list[str]:
    """The hostname verification settings, as comments: reported, not judged (cutover checks the name as HTTPS
    endpoint identification does, so a server that ignores names may accept what the verdict refuses)."""
    fields = domain.server.fields
    said = [f"<ssl><{tag}>{fields[f'ssl/{tag}']} ({config}, server {domain.server.name!r})"
            for tag in ("hostname-verification-ignored", "hostname-verifier") if fields.get(f"ssl/{tag}")]
    said += [f"-D{props[p].name}={props[p].value} ({props[p].source})" for p in (IGNORE_HOSTNAME, HOSTNAME_VERIFIER)
             if p in props]
    if not said:
        return [f"# hostname verification: no setting in {config} or the scripts, WebLogic's default verifier "
                "(reported, not judged)"]
    return [f"# hostname verification: {s} (reported, not judged: the verdict checks the name as HTTPS does)"
            for s in said]


def _config_password(domain: Domain, element: str, option: str, props: dict[str, Option], config: Path) -> str:
    if domain.server.fields.get(element) == "set":
        return f"<{element}> in {config} (encrypted, not read)"
    return f"-D{option} ({props[option].source})" if option in props else ""


def trust(domain: Domain) -> Trust:
    """The files the server trusts, decided in WebLogic's order: a trusted-CA keystore on the command line, then
    the server's <key-stores> (Command Line Trust: the -Dweblogic.security.TrustKeyStore options)."""
    props = {o.name: o for o in effective(domain.options)}
    config = domain.folder / "config" / "config.xml"
    mode = domain.server.key_stores
    comments: list[str] = []
    if TRUSTED_CA in props:
        o = props[TRUSTED_CA]
        files: tuple[Path, ...] = (_store(domain, o.value, f"-D{TRUSTED_CA}", o.source),)
        why = f"-D{TRUSTED_CA} ({o.source}): WebLogic loads trusted CAs from it before <key-stores>{mode}"
        secret = f"{TRUSTED_CA}PassPhrase"
        password = f"-D{secret} ({props[secret].source})" if secret in props else ""
    elif mode == COMMAND_LINE:
        files, why, password = _from_command_line(domain, props, config)
    elif mode == CUSTOM:
        name = domain.server.fields.get("custom-trust-key-store-file-name", "")
        where = f"{config}: server {domain.server.name!r} <key-stores>{CUSTOM}"
        if not name:
            raise ReadError(f"{where} has no <custom-trust-key-store-file-name>, so WebLogic has no trust store to "
                            "load. Set the Custom Trust Keystore (Console: Servers > the server > Keystores).")
        files = (_store(domain, name, "<custom-trust-key-store-file-name>", where),)
        why = f"{CUSTOM} in {config}: <custom-trust-key-store-file-name>{name}"
        kind = domain.server.fields.get("custom-trust-key-store-type")
        comments.append(f"# <custom-trust-key-store-type>{kind or '(none: the JDK default type)'}; cutover tells a "
                        "store's format by its content")
        password = _config_password(domain, "custom-trust-key-store-pass-phrase-encrypted", CUSTOM_PASS, props, config)
    else:
        files = _demo(domain, mode) if mode == DEMO else (cacerts(domain, mode),)
        why = f"<key-stores>{mode}</key-stores> in {config}" if _present(domain) else \
            f"no <key-stores> for {domain.server.name} in {config}: WebLogic's default, {DEMO}"
        password = _config_password(domain, "java-standard-trust-key-store-pass-phrase-encrypted", STANDARD_PASS,
                                    props, config)
    if mode == DEMO and TRUSTED_CA not in props:
        comments.append("# Demo trust: WebLogic trusts both files together. The JDK's cacerts is first, the file a "
                        "fix goes into; DemoTrust.jks is a demo store that WebLogic patches replace.")
    if TRUST_KEY_STORE in props and mode != COMMAND_LINE:
        o = props[TRUST_KEY_STORE]
        comments.append(f"# the scripts also set -D{o.name}={o.value} ({o.source}); WebLogic expects it to agree "
                        f"with <key-stores>{mode}: verify")
    return Trust(files, why, password, tuple(comments + _hostname(domain, props, config)))


def _present(domain: Domain) -> bool:
    """Whether <key-stores> was written (absent means the default, Demo trust: said so in the table)."""
    return "key-stores" in domain.server.fields
