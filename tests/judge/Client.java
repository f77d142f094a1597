// A plain Java client, the oracle of tests/judge/test_real_client.py: HttpsURLConnection with no TLS code of its
// own, so the JDK's defaults and the -D options of its command line decide everything, as in an integration.
// Run as a single-file program, java [-D...] Client.java URL [SECONDS]; "trusted" is connect() returning. With
// SECONDS it then stays alive that long, so that tests/cli/test_client_verdict.py can read it where it runs (--pid).
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
        if (args.length > 1) {
            System.out.flush();
            Thread.sleep(Long.parseLong(args[1]) * 1000);
        }
    }
}
