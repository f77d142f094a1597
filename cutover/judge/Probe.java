// The JVM's verdict on a served chain, decided the way the client's Java runtime decides it.
//
// Java 8 source: compiled with javac --release 8 by any JDK 9+ and run by the client's own java (a JRE
// 8 will do), or run as a single-file program (java Probe.java, JDK 11+). One JVM per JDK and options:
//   java Probe STORE PASSWORD_ENV TIMEOUT_MS THREADS [STORE PASSWORD_ENV]...
// The password is read from the environment variable named PASSWORD_ENV, never from the command line.
// A STORE written "jsse:PATH" is opened as JSSE opens its default trust store (see loadAsJsse).
// A STORE written "+PATH" (or "+jsse:PATH") is one more file of the store before it: a runtime that trusts
// several files together (WebLogic's Demo trust: DemoTrust.jks and the JDK's cacerts) makes one trust decision
// over the certificates of every file, so they are merged into one in-memory KeyStore (see union), and each
// entry line then says which file holds it ("file": its place in that store's list, 0 the first).
// It prints one JSON object per line: {"type":"jvm"}, then {"type":"entry"} per store entry (or
// {"type":"store_error"}), then reads targets from stdin, one per line
// "ID<TAB>IP<TAB>PORT<TAB>HOST[<TAB>WHENS[<TAB>CONNECT_MS<TAB>HANDSHAKE_MS]]", and prints
// {"type":"verdict"} for each, probing concurrently. A verdict's "chain_seen" says whether the server's
// certificate ever reached the trust manager: false when the handshake failed before any was sent (the
// server had no key it may sign with for this client, say), so the reason is not about a chain at all.
// After a target's verdicts comes one {"type":"probed"} line, its last: the chain the server presented
// (base64 DER, leaf first, as sent), the negotiated protocol and the protocols this JVM offered, when the
// handshake completed or ended only because no store trusted that chain; "chain" is null otherwise.
// Python builds its presented-chain evidence from it rather than handshake a second time. WHENS says when to judge, comma-separated: "now",
// or an ISO instant. The first decides the handshake; the others are judged in that same handshake,
// on the same presented chain, by PKIX trust managers whose validation date is that instant: as the
// JVM would judge the chain on that day, at the cost of one handshake per IP, not one per date.
//
// A target line may end in "<TAB>PROXY" (host:port, [v6]:port, or empty for a direct connection): the
// plain socket then goes to that HTTP proxy, which is asked to CONNECT IP:PORT (the IP, never the name,
// or the proxy would resolve it to production); the Proxy-Authorization value, if any, comes from the
// environment variable CUTOVER_PROBE_PROXY_AUTHORIZATION, never from the command line.
//
// Each probe connects a plain socket to the IP and layers an SSLSocket over it with the production
// hostname as peer host: what a client sees whose hosts file points the hostname at staging. The
// trust manager is a PKIX TrustManagerFactory over the client's store, with endpoint identification
// HTTPS, so the JDK's own java.security policy applies. Each probe has an SSLContext of its own, so no
// handshake resumes another's session (a resumed session sends no certificate, and none would be judged).

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.X509CertSelector;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

public class Probe {
    static PrintStream out;

    static String q(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static synchronized void emit(String json) {
        out.println(json);
        out.flush();
    }

    // The exception and every cause whose text is not already said, so the JVM's reason is whole.
    static String reason(Throwable t) {
        List<String> parts = new ArrayList<>();
        String said = "";
        for (Throwable c = t; c != null; c = c.getCause()) {
            String text = c.getClass().getName() + ": " + c.getMessage();
            if (c.getMessage() != null && said.contains(c.getMessage())) continue;
            parts.add(text);
            said += " " + text;
            if (c.getCause() == c) break;
        }
        return String.join(" | caused by ", parts);
    }

    public static void main(String[] args) throws Exception {
        out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        int timeoutMs = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        emit("{\"type\":\"jvm\",\"version\":" + q(System.getProperty("java.version"))
                + ",\"vendor\":" + q(System.getProperty("java.vendor"))
                + ",\"home\":" + q(System.getProperty("java.home")) + "}");

        // Stores: args 0-1, then any further STORE PASSWORD_ENV pairs after THREADS. Each is judged on the same
        // handshake, so several clients on one JDK cost one handshake per address, not one each. A "+PATH" store
        // joins the one before it (a union of files).
        List<List<String[]>> specs = new ArrayList<>();
        specs.add(new ArrayList<String[]>());
        specs.get(0).add(new String[] {args[0], args[1]});
        for (int i = 4; i + 1 < args.length; i += 2) {
            if (args[i].startsWith("+")) {
                specs.get(specs.size() - 1).add(new String[] {args[i].substring(1), args[i + 1]});
            } else {
                List<String[]> files = new ArrayList<>();
                files.add(new String[] {args[i], args[i + 1]});
                specs.add(files);
            }
        }
        stores = new KeyStore[specs.size()];
        storeErrors = new String[specs.size()];
        for (int n = 0; n < specs.size(); n++) {
            List<String[]> files = specs.get(n);
            boolean union = files.size() > 1;
            KeyStore merged = union ? emptyStore() : null;
            int f = 0;
            try {
                for (f = 0; f < files.size(); f++) {
                    KeyStore ks = load(files.get(f)[0], files.get(f)[1]);
                    String file = union ? ",\"file\":" + f : "";
                    emit("{\"type\":\"store\",\"store\":" + n + file + ",\"store_type\":" + q(ks.getType())
                            + ",\"size\":" + ks.size() + "}");
                    for (String alias : Collections.list(ks.aliases())) {
                        String kind = ks.isCertificateEntry(alias) ? "trustedCertEntry"
                                : ks.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class) ? "PrivateKeyEntry"
                                : ks.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class) ? "SecretKeyEntry" : "unknown";
                        Certificate c = ks.getCertificate(alias);
                        String der = c == null ? null : Base64.getEncoder().encodeToString(c.getEncoded());
                        emit("{\"type\":\"entry\",\"store\":" + n + file + ",\"alias\":" + q(alias) + ",\"kind\":"
                                + q(kind) + ",\"der\":" + q(der) + "}");
                        // As the JDK's trust manager takes a store's anchors: every trusted certificate entry, and
                        // the first certificate of every key entry (a secret key holds none).
                        if (union && c != null && !kind.equals("SecretKeyEntry")) {
                            merged.setCertificateEntry(f + "/" + alias, c);
                        }
                    }
                    if (!union) stores[n] = ks;
                }
                if (union) stores[n] = merged;
            } catch (Exception e) {
                // One file the runtime cannot load: the union is not what it trusts, so none of it is judged.
                String named = union ? files.get(Math.min(f, files.size() - 1))[0].replaceFirst("^jsse:", "") : "";
                storeErrors[n] = (union ? named + ": " : "") + reason(e);
                stores[n] = null;
                emit("{\"type\":\"store_error\",\"store\":" + n + ",\"reason\":" + q(storeErrors[n]) + "}");
            }
        }

        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        // While the caller is still resolving DNS: build the default trust managers and write one
        // ClientHello into memory, so class loading and crypto set-up are done before the first probe.
        pool.submit(new Runnable() {
            public void run() {
                warmUp();
            }
        });
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            final String[] f = line.split("\t");
            if (f.length < 4) continue;
            final String[] whens = f.length > 4 && !f[4].isEmpty() ? f[4].split(",") : new String[] {"now"};
            final int connectMs = f.length > 5 ? Integer.parseInt(f[5]) : timeoutMs;
            final int handshakeMs = f.length > 6 ? Integer.parseInt(f[6]) : timeoutMs;
            final String proxy = f.length > 7 ? f[7] : "";
            pool.submit(new Runnable() {
                public void run() {
                    probe(f[0], f[1], Integer.parseInt(f[2]), f[3], connectMs, handshakeMs, whens, proxy);
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.HOURS);
        out.flush();
    }

    // One file of a store: "jsse:PATH" as JSSE opens it, else by content; the password from PASSWORD_ENV.
    static KeyStore load(String spec, String passwordEnv) throws Exception {
        String pw = passwordEnv.isEmpty() ? null : System.getenv(passwordEnv);
        return spec.startsWith("jsse:") ? loadAsJsse(new File(spec.substring(5)), pw)
                : loadStore(new File(spec), pw == null ? null : pw.toCharArray());
    }

    // The in-memory store a union's certificates are merged into: JKS, which every Java 8+ can hold in memory.
    static KeyStore emptyStore() throws Exception {
        KeyStore ks = KeyStore.getInstance("JKS");
        ks.load(null, null);
        return ks;
    }

    // A store opened as JSSE opens its default trust store (TrustStoreManager): the type of
    // javax.net.ssl.trustStoreType (else the JDK's default type), its provider if one is named, and a password
    // only when one is given and not empty. The client's -D options are this JVM's own, so the properties are
    // read from here. A PKCS12 whose certificates are encrypted, opened with no password, holds no entry.
    static KeyStore loadAsJsse(File file, String pw) throws Exception {
        String type = System.getProperty("javax.net.ssl.trustStoreType", KeyStore.getDefaultType());
        String provider = System.getProperty("javax.net.ssl.trustStoreProvider", "");
        KeyStore ks = provider.isEmpty() ? KeyStore.getInstance(type) : KeyStore.getInstance(type, provider);
        java.io.FileInputStream stream = new java.io.FileInputStream(file);
        try {
            ks.load(stream, pw == null || pw.isEmpty() ? null : pw.toCharArray());
        } finally {
            stream.close();
        }
        return ks;
    }

    // KeyStore.getInstance(File, char[]) (Java 9+) detects the type by content, as keytool does; a Java 8
    // runtime has no such method, so there the type comes from the file's first bytes.
    static KeyStore loadStore(File file, char[] password) throws Exception {
        try {
            java.lang.reflect.Method m = KeyStore.class.getMethod("getInstance", File.class, char[].class);
            try {
                return (KeyStore) m.invoke(null, file, password);
            } catch (java.lang.reflect.InvocationTargetException e) {
                if (e.getCause() instanceof Exception) throw (Exception) e.getCause();
                throw e;
            }
        } catch (NoSuchMethodException e) {
            byte[] head = new byte[4];
            java.io.DataInputStream data = new java.io.DataInputStream(new java.io.FileInputStream(file));
            try {
                data.readFully(head);
            } finally {
                data.close();
            }
            int magic = ((head[0] & 0xff) << 24) | ((head[1] & 0xff) << 16) | ((head[2] & 0xff) << 8) | (head[3] & 0xff);
            String type = magic == 0xfeedfeed ? "JKS" : magic == 0xcececece ? "JCEKS" : "PKCS12";
            KeyStore ks = KeyStore.getInstance(type);
            java.io.FileInputStream stream = new java.io.FileInputStream(file);
            try {
                ks.load(stream, password);
            } finally {
                stream.close();
            }
            return ks;
        }
    }

    static KeyStore[] stores;
    static String[] storeErrors;
    static final ConcurrentHashMap<String, Judge> judges = new ConcurrentHashMap<>();

    static Judge judge(String[] whens) throws Exception {
        String key = String.join(",", whens);
        synchronized (judges) {
            Judge j = judges.get(key);
            if (j == null) {
                j = new Judge(whens);
                judges.put(key, j);
            }
            return j;
        }
    }

    static void warmUp() {
        try {
            Judge judge = judge(new String[] {"now"});
            javax.net.ssl.SSLEngine engine = judge.context.createSSLEngine("warm-up.invalid", 443);
            engine.setUseClientMode(true);
            engine.beginHandshake();
            java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
            engine.wrap(java.nio.ByteBuffer.allocate(0), out);
            engine.closeOutbound();
        } catch (Exception e) {
            // A warm-up only: any real problem shows in the first probe, with its own message.
        }
    }

    // What the trust managers said about one handshake's chain, and the chain itself, as presented.
    static final class Outcome {
        final String[][] results;  // [store][when]: the reason it is not trusted, or null
        final X509Certificate[] chain;
        final String protocol;     // negotiated, as the handshake session says when the chain arrives
        final boolean rejected;    // no store trusts it now: the trust manager ended the handshake

        Outcome(String[][] results, X509Certificate[] chain, String protocol, boolean rejected) {
            this.results = results;
            this.chain = chain;
            this.protocol = protocol;
            this.rejected = rejected;
        }
    }

    // The trust managers of one list of "whens", for every store: each is asked the same question, in the
    // same handshake, about the same chain, with its own store and validation date. The handshake goes on
    // when any store trusts the chain now, so that each store's verdict is its own trust decision and the
    // rest of the handshake (which no trust manager influences); it fails, with the first store's
    // reason, only when none does.
    static final class Judge extends X509ExtendedTrustManager {
        final String[] whens;
        final X509ExtendedTrustManager[][] tms;  // [store][when]; null for a store that did not load
        final String[] buildErrors;
        final SSLContext context;
        final ConcurrentHashMap<Socket, Outcome> outcomes = new ConcurrentHashMap<>();

        Judge(String[] whens) throws Exception {
            this.whens = whens;
            tms = new X509ExtendedTrustManager[stores.length][];
            buildErrors = new String[stores.length];
            for (int s = 0; s < stores.length; s++) {
                if (stores[s] == null) continue;
                try {
                    X509ExtendedTrustManager[] row = new X509ExtendedTrustManager[whens.length];
                    for (int i = 0; i < whens.length; i++) {
                        row[i] = trustManager(stores[s], whens[i].equals("now") ? null : Date.from(Instant.parse(whens[i])));
                    }
                    tms[s] = row;
                } catch (Exception e) {
                    buildErrors[s] = "cannot build a PKIX trust manager from the store: " + reason(e);
                }
            }
            context = newContext();
        }

        // A context of its own for each handshake: a shared one would cache sessions by host and port, and
        // a probe of the pod's next address would resume one, sending and judging no certificate.
        SSLContext newContext() throws Exception {
            SSLContext c = SSLContext.getInstance("TLS");
            c.init(null, new javax.net.ssl.TrustManager[] {this}, null);
            return c;
        }

        int first() {
            for (int s = 0; s < tms.length; s++) if (tms[s] != null) return s;
            return -1;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            String[][] results = new String[tms.length][whens.length];
            CertificateException firstFailure = null;
            boolean anyTrusted = false;
            for (int s = 0; s < tms.length; s++) {
                if (tms[s] == null) continue;
                for (int i = 0; i < whens.length; i++) {
                    try {
                        tms[s][i].checkServerTrusted(chain, authType, socket);
                        if (i == 0) anyTrusted = true;
                    } catch (CertificateException e) {
                        results[s][i] = reason(e);
                        if (i == 0 && firstFailure == null) firstFailure = e;
                    }
                }
            }
            String protocol = null;
            if (socket instanceof SSLSocket && ((SSLSocket) socket).getHandshakeSession() != null) {
                protocol = ((SSLSocket) socket).getHandshakeSession().getProtocol();
            }
            outcomes.put(socket, new Outcome(results, chain.clone(), protocol, !anyTrusted));
            if (!anyTrusted && firstFailure != null) throw firstFailure;
            if (!anyTrusted) throw new CertificateException("no truststore could be loaded");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            tms[first()][0].checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            tms[first()][0].checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            tms[first()][0].checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            tms[first()][0].checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            tms[first()][0].checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return first() < 0 ? new X509Certificate[0] : tms[first()][0].getAcceptedIssuers();
        }
    }

    // With no date: exactly the default PKIX trust manager over the store, as the client builds it.
    // With a date: the same PKIX parameters the default builds (revocation as com.sun.net.ssl.checkRevocation
    // says), plus that validation date.
    static X509ExtendedTrustManager trustManager(KeyStore store, Date date) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        if (date == null) {
            tmf.init(store);
        } else {
            PKIXBuilderParameters params = new PKIXBuilderParameters(store, new X509CertSelector());
            params.setRevocationEnabled(Boolean.getBoolean("com.sun.net.ssl.checkRevocation"));
            params.setDate(date);
            tmf.init(new CertPathTrustManagerParameters(params));
        }
        for (javax.net.ssl.TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager) return (X509ExtendedTrustManager) tm;
        }
        throw new IllegalStateException("the PKIX TrustManagerFactory made no X509ExtendedTrustManager");
    }

    // The proxy gave no tunnel: kind is refused, unreachable, timeout, closed, status or garbled (as
    // cutover/net/tunnel.py names them, which turns them into the paragraph a person reads).
    static final class TunnelException extends IOException {
        private static final long serialVersionUID = 1L;
        final String kind;
        final String detail;

        TunnelException(String kind, String detail) {
            super("proxy " + kind + ": " + detail);
            this.kind = kind;
            this.detail = detail;
        }
    }

    // Connect raw to the proxy and open a CONNECT tunnel to ip:port through it; the handshake follows on raw.
    static void tunnel(Socket raw, String proxy, String ip, int port, int connectMs) throws IOException {
        int colon = proxy.lastIndexOf(':');
        String proxyHost = proxy.substring(0, colon);
        if (proxyHost.startsWith("[")) proxyHost = proxyHost.substring(1, proxyHost.length() - 1);
        int proxyPort = Integer.parseInt(proxy.substring(colon + 1));
        // connectMs bounds the connect and the proxy's answer together, as it bounds a direct connect.
        long deadline = System.nanoTime() + connectMs * 1_000_000L;
        try {
            raw.connect(new InetSocketAddress(proxyHost, proxyPort), connectMs);
        } catch (java.net.ConnectException e) {
            String m = String.valueOf(e.getMessage());
            throw new TunnelException(m.toLowerCase().contains("refused") ? "refused" : "unreachable", m);
        } catch (java.net.SocketTimeoutException e) {
            throw new TunnelException("unreachable", "connect timed out after " + connectMs + " ms");
        } catch (IOException e) {
            throw new TunnelException("unreachable", String.valueOf(e.getMessage()));
        }
        String target = ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
        StringBuilder req = new StringBuilder();
        req.append("CONNECT ").append(target).append(" HTTP/1.1\r\n");
        req.append("Host: ").append(target).append("\r\n");
        req.append("User-Agent: cutover-probe (Java ").append(System.getProperty("java.version")).append(")\r\n");
        String auth = System.getenv("CUTOVER_PROBE_PROXY_AUTHORIZATION");
        if (auth != null && !auth.isEmpty()) req.append("Proxy-Authorization: ").append(auth).append("\r\n");
        req.append("\r\n");
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        try {
            OutputStream o = raw.getOutputStream();
            o.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
            o.flush();
            // A byte at a time: what follows the headers belongs to the TLS handshake.
            InputStream in = raw.getInputStream();
            int state = 0;
            while (state < 4) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) throw new java.net.SocketTimeoutException();
                raw.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                int b = in.read();
                if (b < 0) throw new TunnelException("closed", "");
                reply.write(b);
                state = (b == (state % 2 == 0 ? '\r' : '\n')) ? state + 1 : (b == '\r' ? 1 : 0);
                if (reply.size() > 65536) break;
                if (reply.size() == 8 && !reply.toString("ISO-8859-1").startsWith("HTTP/")) break;
            }
        } catch (java.net.SocketTimeoutException e) {
            throw new TunnelException("timeout", "");
        } catch (TunnelException e) {
            throw e;
        } catch (IOException e) {
            throw new TunnelException("closed", String.valueOf(e.getMessage()));
        }
        String text = reply.toString("ISO-8859-1");
        String status = text.split("\r\n", 2)[0];
        if (!status.matches("HTTP/1\\.[01] \\d{3}.*")) {
            throw new TunnelException("garbled", "it said " + q(status.length() > 80 ? status.substring(0, 80) : status));
        }
        if (status.charAt(9) != '2') throw new TunnelException("status", text);
    }

    static void probe(String id, String ip, int port, String host, int connectMs, int handshakeMs,
                      String[] whens, String proxy) {
        long start = System.nanoTime();
        String step = "connect";
        String proxyKind = null;
        String proxyDetail = null;
        String why = null;
        String tls = null;
        String offered = null;
        boolean completed = false;
        String options = null;
        Outcome seen = null;
        Judge judge = null;
        try {
            judge = judge(whens);
        } catch (Exception e) {
            why = "cannot build a PKIX trust manager: " + reason(e);
        }
        if (judge != null && judge.first() >= 0) {
            try (Socket raw = new Socket()) {
                if (proxy.isEmpty()) {
                    raw.connect(new InetSocketAddress(InetAddress.getByName(ip), port), connectMs);
                } else {
                    step = "proxy";
                    tunnel(raw, proxy, ip, port, connectMs);
                }
                raw.setSoTimeout(handshakeMs);
                step = "TLS handshake";
                SSLContext context = judge.newContext();
                try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(raw, host, port, false)) {
                    options = httpsOptions();
                    applyHttpsOptions(s);
                    SSLParameters p = s.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    if (SNI) {
                        p.setServerNames(Collections.<javax.net.ssl.SNIServerName>singletonList(new SNIHostName(host)));
                    }
                    s.setSSLParameters(p);
                    offered = String.join(",", s.getEnabledProtocols());
                    try {
                        s.startHandshake();
                        tls = s.getSession().getProtocol();
                        completed = true;
                    } finally {
                        seen = judge.outcomes.remove(s);
                    }
                }
            } catch (TunnelException e) {
                proxyKind = e.kind;
                proxyDetail = e.detail;
                why = e.getMessage();
            } catch (java.net.SocketTimeoutException e) {
                int limit = step.equals("connect") ? connectMs : handshakeMs;
                why = step + " timed out after " + limit + " ms: " + reason(e);
            } catch (Exception e) {
                why = reason(e);
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        for (int n = 0; n < stores.length; n++) {
            String own = null;  // this store's own reason, when it cannot judge at all
            if (storeErrors[n] != null) {
                // Never fall back to the JDK's default cacerts: that would judge another store than the client's.
                own = "the truststore could not be loaded by Java: " + storeErrors[n];
            } else if (judge != null && judge.buildErrors[n] != null) {
                own = judge.buildErrors[n];
            }
            for (int i = 0; i < whens.length; i++) {
                // The store's own trust decision first; else the handshake's outcome, which is everyone's.
                String mine = seen == null ? null : seen.results[n][i];
                String text = own != null ? own : mine != null ? mine : why;
                boolean ok = text == null;
                if (ok) text = "trusted: PKIX path to an anchor in the truststore, hostname " + host + " verified";
                emit("{\"type\":\"verdict\",\"store\":" + n + ",\"id\":" + q(id) + ",\"ip\":" + q(ip)
                        + ",\"when\":" + q(whens[i]) + ",\"ok\":" + ok + ",\"step\":" + q(step) + ",\"reason\":"
                        + q(text) + ",\"protocol\":" + q(ok ? tls : null) + ",\"ms\":" + ms + ",\"via\":" + q(proxy)
                        + ",\"proxy_kind\":" + q(own == null && mine == null ? proxyKind : null)
                        + ",\"proxy_detail\":" + q(proxyDetail) + ",\"chain_seen\":" + (seen != null)
                        + ",\"options\":" + q(options) + ",\"sni\":" + SNI
                        + ",\"served\":" + q(seen == null || SNI ? null : served(seen.chain)) + "}");
            }
        }
        // The chain is evidence when the handshake completed, or when it ended only because no store trusted
        // it (the trust manager's own refusal, after the whole chain had arrived); not when it failed otherwise.
        boolean whole = seen != null && (completed || seen.rejected);
        emitProbed(id, ip, whole ? seen.chain : null, whole ? seen.protocol : null, offered, ms);
    }

    // jsse.enableSNIExtension=false: the client sends no SNI, and neither does the probe (the edge then serves
    // its default certificate, which is what the client judges).
    static final boolean SNI = !"false".equalsIgnoreCase(System.getProperty("jsse.enableSNIExtension", "true"));

    // The https.* options HttpsURLConnection applies to every connection (sun.net.www.protocol.https.HttpsClient),
    // as "-Dname=value" words, or null when none applies. cutover.https.ignored=true: the client's HTTP stack
    // (java.net.http, OkHttp, Netty) ignores them.
    static String httpsOptions() {
        if (Boolean.getBoolean("cutover.https.ignored")) return null;
        StringBuilder b = new StringBuilder();
        for (String name : new String[] {"https.protocols", "https.cipherSuites"}) {
            String v = System.getProperty(name);
            if (v != null && !v.isEmpty()) b.append(b.length() == 0 ? "" : " ").append("-D").append(name).append('=').append(v);
        }
        return b.length() == 0 ? null : b.toString();
    }

    // As HttpsClient does: the comma-separated names, trimmed, set as the socket's enabled protocols and suites.
    static void applyHttpsOptions(SSLSocket s) {
        if (Boolean.getBoolean("cutover.https.ignored")) return;
        String[] protocols = names(System.getProperty("https.protocols"));
        String[] suites = names(System.getProperty("https.cipherSuites"));
        if (protocols != null) s.setEnabledProtocols(protocols);
        if (suites != null) s.setEnabledCipherSuites(suites);
    }

    static String[] names(String value) {
        if (value == null || value.isEmpty()) return null;
        List<String> out = new ArrayList<>();
        java.util.StringTokenizer t = new java.util.StringTokenizer(value, ",");
        while (t.hasMoreElements()) out.add(t.nextToken().trim());
        return out.toArray(new String[0]);
    }

    // The leaf a client without SNI was served: its subject and the names it holds, for the message.
    static String served(X509Certificate[] chain) {
        if (chain.length == 0) return null;
        StringBuilder b = new StringBuilder(chain[0].getSubjectX500Principal().getName());
        try {
            java.util.Collection<List<?>> sans = chain[0].getSubjectAlternativeNames();
            if (sans != null) {
                List<String> dns = new ArrayList<>();
                for (List<?> san : sans) if (Integer.valueOf(2).equals(san.get(0))) dns.add(String.valueOf(san.get(1)));
                if (!dns.isEmpty()) b.append(", DNS names ").append(String.join(" ", dns));
            }
        } catch (java.security.cert.CertificateParsingException e) {
            // the subject alone says enough
        }
        return b.toString();
    }

    // The target's last line: the chain as presented, for the evidence.
    static void emitProbed(String id, String ip, X509Certificate[] chain, String protocol, String offered, long ms) {
        StringBuilder ders = new StringBuilder();
        if (chain != null) {
            try {
                for (X509Certificate c : chain) {
                    ders.append(ders.length() == 0 ? "[" : ",").append(q(Base64.getEncoder().encodeToString(c.getEncoded())));
                }
                ders.append(ders.length() == 0 ? "[]" : "]");
            } catch (java.security.cert.CertificateEncodingException e) {
                ders.setLength(0);  // Python fetches the chain itself
            }
        }
        emit("{\"type\":\"probed\",\"id\":" + q(id) + ",\"ip\":" + q(ip) + ",\"chain\":"
                + (ders.length() == 0 ? "null" : ders.toString()) + ",\"protocol\":" + q(chain == null ? null : protocol)
                + ",\"offered\":" + q(offered) + ",\"ms\":" + ms + "}");
    }
}
