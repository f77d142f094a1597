// The JVM's verdict on a served chain, decided the way the client's Java runtime decides it.
//
// Run as a single-file program (java Probe.java, JDK 11+), so nothing needs building. One JVM per run:
//   java Probe.java STORE PASSWORD_ENV TIMEOUT_MS THREADS
// The password is read from the environment variable named PASSWORD_ENV, never from the command line.
// It prints one JSON object per line: {"type":"jvm"}, then {"type":"entry"} per store entry (or
// {"type":"store_error"}), then reads targets from stdin, one per line
// "ID<TAB>IP<TAB>PORT<TAB>HOST[<TAB>WHENS[<TAB>CONNECT_MS<TAB>HANDSHAKE_MS]]", and prints
// {"type":"verdict"} for each, probing concurrently. WHENS says when to judge, comma-separated: "now",
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
// HTTPS, so the JDK's own java.security policy applies.

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
        String storePath = args[0];
        String passwordEnv = args[1];
        int timeoutMs = Integer.parseInt(args[2]);
        int threads = Integer.parseInt(args[3]);
        emit("{\"type\":\"jvm\",\"version\":" + q(System.getProperty("java.version"))
                + ",\"vendor\":" + q(System.getProperty("java.vendor"))
                + ",\"home\":" + q(System.getProperty("java.home")) + "}");

        String pw = passwordEnv.isEmpty() ? null : System.getenv(passwordEnv);
        KeyStore ks = null;
        String storeError = null;
        try {
            ks = KeyStore.getInstance(new File(storePath), pw == null ? null : pw.toCharArray());
            emit("{\"type\":\"store\",\"store_type\":" + q(ks.getType()) + ",\"size\":" + ks.size() + "}");
            for (String alias : Collections.list(ks.aliases())) {
                String kind = ks.isCertificateEntry(alias) ? "trustedCertEntry"
                        : ks.entryInstanceOf(alias, KeyStore.PrivateKeyEntry.class) ? "PrivateKeyEntry"
                        : ks.entryInstanceOf(alias, KeyStore.SecretKeyEntry.class) ? "SecretKeyEntry" : "unknown";
                Certificate c = ks.getCertificate(alias);
                String der = c == null ? null : Base64.getEncoder().encodeToString(c.getEncoded());
                emit("{\"type\":\"entry\",\"alias\":" + q(alias) + ",\"kind\":" + q(kind) + ",\"der\":" + q(der) + "}");
            }
        } catch (Exception e) {
            storeError = reason(e);
            emit("{\"type\":\"store_error\",\"reason\":" + q(storeError) + "}");
        }

        store = ks;
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        if (storeError == null) {
            // While the caller is still resolving DNS: build the default trust manager and write one
            // ClientHello into memory, so class loading and crypto set-up are done before the first probe.
            pool.submit(Probe::warmUp);
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        final String failure = storeError;
        String line;
        while ((line = in.readLine()) != null) {
            final String[] f = line.split("\t");
            if (f.length < 4) continue;
            final String[] whens = f.length > 4 && !f[4].isEmpty() ? f[4].split(",") : new String[] {"now"};
            final int connectMs = f.length > 5 ? Integer.parseInt(f[5]) : timeoutMs;
            final int handshakeMs = f.length > 6 ? Integer.parseInt(f[6]) : timeoutMs;
            final String proxy = f.length > 7 ? f[7] : "";
            pool.submit(() -> probe(failure, f[0], f[1], Integer.parseInt(f[2]), f[3], connectMs, handshakeMs, whens,
                    proxy));
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.HOURS);
        out.flush();
    }

    static KeyStore store;
    static final ConcurrentHashMap<String, Judge> judges = new ConcurrentHashMap<>();

    static void warmUp() {
        try {
            Judge judge = judges.computeIfAbsent("now", k -> {
                try {
                    return new Judge(new String[] {"now"});
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
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

    // The trust managers of one list of "whens": the first decides the handshake, the others are asked
    // the same question, in the same handshake, about the same chain, each with its own validation date.
    static final class Judge extends X509ExtendedTrustManager {
        final String[] whens;
        final X509ExtendedTrustManager[] tms;
        final SSLContext context;
        final ConcurrentHashMap<Socket, String[]> outcomes = new ConcurrentHashMap<>();

        Judge(String[] whens) throws Exception {
            this.whens = whens;
            tms = new X509ExtendedTrustManager[whens.length];
            for (int i = 0; i < whens.length; i++) {
                tms[i] = trustManager(whens[i].equals("now") ? null : Date.from(Instant.parse(whens[i])));
            }
            context = SSLContext.getInstance("TLS");
            context.init(null, new javax.net.ssl.TrustManager[] {this}, null);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            String[] results = new String[whens.length];
            for (int i = 1; i < tms.length; i++) {
                try {
                    tms[i].checkServerTrusted(chain, authType, socket);
                } catch (CertificateException e) {
                    results[i] = reason(e);
                }
            }
            outcomes.put(socket, results);
            tms[0].checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            tms[0].checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            tms[0].checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            tms[0].checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            tms[0].checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            tms[0].checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return tms[0].getAcceptedIssuers();
        }
    }

    // With no date: exactly the default PKIX trust manager over the store, as the client builds it.
    // With a date: the same PKIX parameters the default builds (revocation as com.sun.net.ssl.checkRevocation
    // says), plus that validation date.
    static X509ExtendedTrustManager trustManager(Date date) throws Exception {
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
    // cutover/proxy.py names them, which turns them into the paragraph a person reads).
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

    static void probe(String storeError, String id, String ip, int port, String host, int connectMs,
                      int handshakeMs, String[] whens, String proxy) {
        long start = System.nanoTime();
        String step = "connect";
        String proxyKind = null;
        String proxyDetail = null;
        String why = null;
        String tls = null;
        String[] later = new String[whens.length];
        Judge judge = null;
        if (storeError != null) {
            // Never fall back to the JDK's default cacerts: that would judge another store than the client's.
            why = "the truststore could not be loaded by Java: " + storeError;
        } else {
            try {
                judge = judges.computeIfAbsent(String.join(",", whens), k -> {
                    try {
                        return new Judge(whens);
                    } catch (Exception e) {
                        throw new IllegalStateException(reason(e), e);
                    }
                });
            } catch (IllegalStateException e) {
                why = "cannot build a PKIX trust manager from the store: " + e.getMessage();
            }
        }
        if (judge != null) {
            try (Socket raw = new Socket()) {
                if (proxy.isEmpty()) {
                    raw.connect(new InetSocketAddress(InetAddress.getByName(ip), port), connectMs);
                } else {
                    step = "proxy";
                    tunnel(raw, proxy, ip, port, connectMs);
                }
                raw.setSoTimeout(handshakeMs);
                step = "TLS handshake";
                try (SSLSocket s = (SSLSocket) judge.context.getSocketFactory().createSocket(raw, host, port, false)) {
                    SSLParameters p = s.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    p.setServerNames(List.of(new SNIHostName(host)));
                    s.setSSLParameters(p);
                    try {
                        s.startHandshake();
                        tls = s.getSession().getProtocol();
                    } finally {
                        String[] seen = judge.outcomes.remove(s);
                        if (seen != null) later = seen;
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
        for (int i = 0; i < whens.length; i++) {
            // A later date is judged on the chain of the same handshake; where the handshake never got
            // that far, its verdict is the handshake's.
            boolean ok = i == 0 ? why == null : why == null && later[i] == null;
            String text = ok ? "trusted: PKIX path to an anchor in the truststore, hostname " + host + " verified"
                    : i == 0 || later[i] == null ? why : later[i];
            emit("{\"type\":\"verdict\",\"id\":" + q(id) + ",\"ip\":" + q(ip) + ",\"when\":" + q(whens[i])
                    + ",\"ok\":" + ok + ",\"step\":" + q(step) + ",\"reason\":" + q(text) + ",\"protocol\":"
                    + q(tls) + ",\"ms\":" + ms + ",\"via\":" + q(proxy) + ",\"proxy_kind\":" + q(proxyKind)
                    + ",\"proxy_detail\":" + q(proxyDetail) + "}");
        }
    }
}
