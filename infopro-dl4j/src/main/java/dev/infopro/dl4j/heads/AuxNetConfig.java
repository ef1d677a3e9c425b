package dev.infopro.dl4j.heads;

/**
 * The reference's auxiliary-classifier configurations ({@code --aux_net_config}): {@code XcYf} = X convolutions
 * (3x3, no bias, BN, ReLU) then global average pooling then Y fully connected layers.
 */
public enum AuxNetConfig {
    /** GAP + one FC: the Greedy SL head. */
    C0F1("0c1f", 0, 1),
    /** GAP + FC + ReLU + FC. */
    C0F2("0c2f", 0, 2),
    /** One conv, GAP, one FC. */
    C1F1("1c1f", 1, 1),
    /** One conv, GAP, two FCs: the configuration of every published command. */
    C1F2("1c2f", 1, 2),
    /** One conv, GAP, three FCs. */
    C1F3("1c3f", 1, 3),
    /** Two convs, GAP, two FCs. */
    C2F2("2c2f", 2, 2);

    private final String code;
    private final int convs;
    private final int fcs;

    AuxNetConfig(String code, int convs, int fcs) {
        this.code = code;
        this.convs = convs;
        this.fcs = fcs;
    }

    /** The reference's name, e.g. {@code "1c2f"}. */
    public String code() {
        return code;
    }

    /** Number of conv-BN-ReLU blocks. */
    public int convs() {
        return convs;
    }

    /** Number of fully connected layers, the output layer included. */
    public int fcs() {
        return fcs;
    }

    /**
     * Parses the reference's name.
     *
     * @param code one of 0c1f, 0c2f, 1c1f, 1c2f, 1c3f, 2c2f
     * @return the configuration
     */
    public static AuxNetConfig fromCode(String code) {
        for (AuxNetConfig c : values()) {
            if (c.code.equalsIgnoreCase(code)) {
                return c;
            }
        }
        throw new IllegalArgumentException("Unknown auxiliary head configuration '" + code
                + "'; use one of 0c1f, 0c2f, 1c1f, 1c2f, 1c3f, 2c2f");
    }
}
