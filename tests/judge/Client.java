// A plain Java client, the oracle of tests/judge/test_real_client.py: HttpsURLConnection with no TLS code of its
// own, so the JDK's defaults and the -D options of its command line decide everything, as in an integration.
// Run as a single-file program, java [-D...] Client.java URL; "trusted" is connect() returning.
import java.net.URL;
import javax.net.ssl.HttpsURLConnection;

public class Client {
    public static void main(String[] args) throws Exception {
        HttpsURLConnection c = (HttpsURLConnection) new URL(args[0]).openConnection();
        c.setConnectTimeout(5000);
        c.setReadTimeout(5000);
        try {
            c.connect();
            System.out.println("TRUSTED");
        } catch (Exception e) {
            System.out.println("FAILED " + e);
        } finally {
            c.disconnect();
        }
    }
}
