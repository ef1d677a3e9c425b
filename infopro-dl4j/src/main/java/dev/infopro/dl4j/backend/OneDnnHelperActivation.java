package dev.infopro.dl4j.backend;

import org.nd4j.linalg.env.EnvironmentalAction;

/**
 * ND4J loads every {@link EnvironmentalAction} through {@link java.util.ServiceLoader} while it initialises,
 * which is before any DL4J layer (and so any layer helper) can be created. Registering this class in
 * {@code META-INF/services} therefore switches the oneDNN helpers on with no user step.
 * It also reacts to the environment variable {@value OneDnnHelpers#OPT_OUT_ENV}.
 */
public class OneDnnHelperActivation implements EnvironmentalAction {
    /** Called by ND4J's {@code ServiceLoader}: configures the helpers at once. */
    public OneDnnHelperActivation() {
        OneDnnHelpers.configure();
    }

    @Override
    public String targetVariable() {
        return OneDnnHelpers.OPT_OUT_ENV;
    }

    @Override
    public void process(String value) {
        // configure() already honoured the variable; nothing else to do.
    }
}
