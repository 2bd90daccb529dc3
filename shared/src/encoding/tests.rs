use super::*;

const CONV3_SKIP: &str =
    "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|nor_conv_1x1~1|nor_conv_3x3~2|";

fn nb201(s: &str) -> Arch {
    SpaceId::Nb201.parse_arch(s).unwrap()
}

#[test]
fn names_round_trip_and_unknown_names_are_listed() {
    for e in Encoding::ALL {
        assert_eq!(e.name().parse::<Encoding>().unwrap(), e);
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            format!("\"{}\"", e.name())
        );
    }
    let err = "onehot".parse::<Encoding>().unwrap_err().to_string();
    assert!(err.contains("onehot") && err.contains("onehot-v1"), "{err}");
}

#[test]
fn every_encoding_has_its_declared_length() {
    let fb = SpaceId::Fbnet.parse_arch(&["k3_e6"; 22].join("-")).unwrap();
    for e in Encoding::ALL {
        assert_eq!(
            e.encode(&nb201(CONV3_SKIP)).unwrap().len(),
            e.dim(SpaceId::Nb201)
        );
        assert_eq!(e.encode(&fb).unwrap().len(), e.dim(SpaceId::Fbnet));
    }
    assert_eq!(Encoding::OneHotV1.dim(SpaceId::Nb201), 30);
    assert_eq!(Encoding::GraphV1.dim(SpaceId::Nb201), 8 * 8 + 8 * 7);
    assert_eq!(Encoding::OneHotV1.dim(SpaceId::Fbnet), 22 * 9);
}

#[test]
fn onehot_marks_one_op_per_edge() {
    let v = Encoding::OneHotV1.encode(&nb201(CONV3_SKIP)).unwrap();
    // Op order: none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3.
    let hot: Vec<usize> = v
        .iter()
        .enumerate()
        .filter(|(_, &x)| x == 1.0)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hot, [3, 5 + 1, 10, 15 + 4, 20 + 2, 25 + 3]);
}

#[test]
fn graph_marks_node_types_and_cell_edges() {
    let g = graph_v1(&nb201(CONV3_SKIP));
    // Node 1 is edge 1<-0 (nor_conv_3x3, vocabulary index 2 + 3 = 5).
    assert_eq!(g.node_types[g.vocabulary + 5], 1.0);
    // Edge op 1<-0 (node 1) feeds the edge ops leaving node 1: 2<-1 (node 3)
    // and 3<-1 (node 5); the input feeds the three edges leaving node 0.
    let adj = |i: usize, j: usize| g.adjacency[i * g.nodes + j];
    assert_eq!((adj(1, 3), adj(1, 5), adj(1, 2)), (1.0, 1.0, 0.0));
    assert_eq!((adj(0, 1), adj(0, 2), adj(0, 4)), (1.0, 1.0, 1.0));
    // Edges into node 3 (graph nodes 4, 5, 6) feed the output (node 7).
    assert_eq!(
        (adj(4, 7), adj(5, 7), adj(6, 7), adj(1, 7)),
        (1.0, 1.0, 1.0, 0.0)
    );
}

#[test]
fn features_follow_cost_features() {
    let none = nb201("|none~0|+|none~0|none~1|+|none~0|none~1|none~2|");
    let v = features_v1(&none).unwrap();
    let names = feature_names();
    assert_eq!(v.len(), names.len());
    let get = |name: &str| v[names.iter().position(|n| n == name).unwrap()];
    assert!((get("ln1p_params") - (73_306f64).ln_1p() as f32).abs() < 1e-5);
    // The all-none cell keeps no convolution, so its only 3x3/1x1 convs are
    // the stem (1) and the two reduction blocks (3 each).
    assert_eq!(get("count_conv"), 7.0);
    // Deterministic.
    assert_eq!(v, features_v1(&none).unwrap());
}
