import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import sun.security.util.HostnameChecker;

/**
 * The JDK's own host name check, asked directly: one line "host TAB certificate.der TAB public|private" in, one
 * line "MATCH" or "NO message" out. "public" is HostnameChecker's chainsToPublicCA (the wildcard public-suffix
 * rule). Run with --add-exports java.base/sun.security.util=ALL-UNNAMED; tests/judge/test_hostname_checker.py
 * compares cutover.judge.hostname with it.
 */
public class NameCheck {
    public static void main(String[] args) throws Exception {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        HostnameChecker checker = HostnameChecker.getInstance(HostnameChecker.TYPE_TLS);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split("\t", 3);
            X509Certificate cert;
            try (InputStream s = Files.newInputStream(Paths.get(f[1]))) {
                cert = (X509Certificate) factory.generateCertificate(s);
            } catch (Exception e) {
                out.println("NO unparsed: " + e);
                continue;
            }
            try {
                checker.match(f[0], cert, "public".equals(f[2]));
                out.println("MATCH");
            } catch (CertificateException e) {
                out.println("NO " + e.getMessage());
            } catch (RuntimeException e) {
                out.println("NO " + e);
            }
        }
    }
}
