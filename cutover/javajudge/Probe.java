// The JVM's verdict on a served chain, decided the way the client's Java runtime decides it.
//
// Run as a single-file program (java Probe.java, JDK 11+), so nothing needs building. One JVM per run:
//   java Probe.java STORE PASSWORD_ENV TIMEOUT_MS THREADS
// The password is read from the environment variable named PASSWORD_ENV, never from the command line.
// It prints one JSON object per line: {"type":"jvm"}, then {"type":"entry"} per store entry (or
// {"type":"store_error"}), then reads targets from stdin, one per line
// "ID<TAB>IP<TAB>PORT<TAB>HOST[<TAB>WHENS[<TAB>CONNECT_MS<TAB>HANDSHAKE_MS]]", and prints
// {"type":"verdict"} for each, probing concurrently. WHENS says when to judge, comma-separated: "now",
// or an ISO instant, judged by its own handshake with a PKIX trust manager whose validation date is
// that instant, as the JVM would judge the chain on that day.
//
// Each probe connects a plain socket to the IP and layers an SSLSocket over it with the production
// hostname as peer host: what a client sees whose hosts file points the hostname at staging. The
// trust manager is a PKIX TrustManagerFactory over the client's store, with endpoint identification
// HTTPS, so the JDK's own java.security policy applies.

import java.io.BufferedReader;
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
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

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

        SSLContext ctx = null;
        if (ks != null) {
            try {
                ctx = context(ks, null);
            } catch (Exception e) {
                storeError = "cannot build a PKIX trust manager from the store: " + reason(e);
            }
        }
        store = ks;

        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        final SSLContext context = ctx;
        final String failure = storeError;
        String line;
        while ((line = in.readLine()) != null) {
            final String[] f = line.split("\t");
            if (f.length < 4) continue;
            String[] whens = f.length > 4 && !f[4].isEmpty() ? f[4].split(",") : new String[] {"now"};
            final int connectMs = f.length > 5 ? Integer.parseInt(f[5]) : timeoutMs;
            final int handshakeMs = f.length > 6 ? Integer.parseInt(f[6]) : timeoutMs;
            for (String when : whens) {
                pool.submit(() -> {
                    SSLContext c = context;
                    String why = failure;
                    if (failure == null && !when.equals("now")) {
                        try {
                            c = dated(when);
                        } catch (Exception e) {
                            c = null;
                            why = "cannot judge at " + when + ": " + reason(e);
                        }
                    }
                    probe(c, why, f[0], f[1], Integer.parseInt(f[2]), f[3], connectMs, handshakeMs, when);
                });
            }
        }
        pool.shutdown();
        pool.awaitTermination(1, TimeUnit.HOURS);
        out.flush();
    }

    static KeyStore store;
    static final ConcurrentHashMap<String, SSLContext> byDate = new ConcurrentHashMap<>();

    static SSLContext dated(String when) throws Exception {
        SSLContext c = byDate.get(when);
        if (c == null) {
            c = context(store, Date.from(Instant.parse(when)));
            byDate.putIfAbsent(when, c);
        }
        return c;
    }

    // With no date: exactly the default PKIX trust manager over the store, as the client builds it.
    // With a date: the same PKIX parameters the default builds (revocation as com.sun.net.ssl.checkRevocation
    // says), plus that validation date.
    static SSLContext context(KeyStore ks, Date date) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        if (date == null) {
            tmf.init(ks);
        } else {
            PKIXBuilderParameters params = new PKIXBuilderParameters(ks, new X509CertSelector());
            params.setRevocationEnabled(Boolean.getBoolean("com.sun.net.ssl.checkRevocation"));
            params.setDate(date);
            tmf.init(new CertPathTrustManagerParameters(params));
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    static void probe(SSLContext ctx, String storeError, String id, String ip, int port, String host, int connectMs,
                      int handshakeMs, String when) {
        long start = System.nanoTime();
        String step = "connect";
        boolean ok = false;
        String why;
        String tls = null;
        if (ctx == null) {
            // Never fall back to the JDK's default cacerts: that would judge another store than the client's.
            why = "the truststore could not be loaded by Java: " + storeError;
        } else {
            try (Socket raw = new Socket()) {
                raw.connect(new InetSocketAddress(InetAddress.getByName(ip), port), connectMs);
                raw.setSoTimeout(handshakeMs);
                step = "TLS handshake";
                try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, host, port, false)) {
                    SSLParameters p = s.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    p.setServerNames(List.of(new SNIHostName(host)));
                    s.setSSLParameters(p);
                    s.startHandshake();
                    tls = s.getSession().getProtocol();
                    ok = true;
                    why = "trusted: PKIX path to an anchor in the truststore, hostname " + host + " verified";
                }
            } catch (java.net.SocketTimeoutException e) {
                int limit = step.equals("connect") ? connectMs : handshakeMs;
                why = step + " timed out after " + limit + " ms: " + reason(e);
            } catch (Exception e) {
                why = reason(e);
            }
        }
        long ms = (System.nanoTime() - start) / 1_000_000;
        emit("{\"type\":\"verdict\",\"id\":" + q(id) + ",\"ip\":" + q(ip) + ",\"when\":" + q(when) + ",\"ok\":" + ok
                + ",\"step\":" + q(step) + ",\"reason\":" + q(why) + ",\"protocol\":" + q(tls) + ",\"ms\":" + ms + "}");
    }
}
